#!/usr/bin/env bash
# Installs, from Debian's archive only, whatever shardgate needs and is missing. Idempotent:
# a machine that has everything runs no apt command at all.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config
  haproxy postgresql postgresql-client
  pgbouncer
  lua5.3 lua5.4 liblua5.4-dev
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev doctest-dev libpq-dev libcpp-httplib-dev
  curl openssl procps psmisc iproute2 util-linux
  clang-format
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "make deps: installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "make deps: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The pgbouncer and postgresql packages enable system services; shardgate runs its own
# instances on its own ports, so keep the packaged ones from claiming 6432/5432 on hosts with systemd.
if command -v systemctl >/dev/null 2>&1; then
  $SUDO systemctl disable --now pgbouncer >/dev/null 2>&1 || true
fi
# Debian's package starts nothing here (no systemd in containers), but make sure the packaged
# default cluster and haproxy service never hold ports our tests want.
if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | grep -q online; then
  $SUDO pg_ctlcluster --force 15 main stop 2>/dev/null || true
fi
