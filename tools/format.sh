#!/usr/bin/env bash
# Formats every tracked *.cc/*.h with the repository's .clang-format, or, with --check, changes
# nothing and exits 1 naming the files that differ (`make format`, `make format-check`).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
clang_format="${CLANG_FORMAT:-clang-format}"

mode=format
case "${1:-}" in
  "") ;;
  --check) mode=check ;;
  *) echo "usage: tools/format.sh [--check]" >&2; exit 2 ;;
esac

if ! command -v "$clang_format" >/dev/null; then
  echo "format: $clang_format not found (make deps installs it)" >&2
  exit 2
fi
# .clang-format was tuned with clang-format 14; other versions break some lines differently.
version=$("$clang_format" --version | grep -Eo 'version [0-9]+' | grep -Eo '[0-9]+')
if [ "$version" != 14 ]; then
  echo "format: warning: $clang_format is version $version; .clang-format was tuned with 14" >&2
fi

files=()
while IFS= read -r f; do
  [ -f "$f" ] && files+=("$f")
done < <(git ls-files -- '*.cc' '*.h')
if [ ${#files[@]} -eq 0 ]; then
  echo "format: no tracked *.cc/*.h files (not a git checkout?)" >&2
  exit 2
fi

if [ "$mode" = format ]; then
  "$clang_format" --style=file -i "${files[@]}" || exit 2
  echo "format: formatted ${#files[@]} C++ files with .clang-format"
  exit 0
fi

# --dry-run --Werror reports each difference as "<file>:<line>:<col>: error: ...".
report=$("$clang_format" --style=file --dry-run --Werror "${files[@]}" 2>&1)
rc=$?
differ=$(grep -E '^[^ :]+:[0-9]+:[0-9]+: error: code should be clang-formatted' <<<"$report" |
         cut -d: -f1 | sort -u)
if [ -n "$differ" ]; then
  echo "format-check: $(wc -l <<<"$differ") of ${#files[@]} C++ files differ from .clang-format" \
       "(run \`make format\`):"
  sed 's/^/  /' <<<"$differ"
  exit 1
fi
if [ $rc -ne 0 ]; then
  echo "format-check: $clang_format failed:" >&2
  echo "$report" >&2
  exit 2
fi
echo "format-check: all ${#files[@]} C++ files match .clang-format"
