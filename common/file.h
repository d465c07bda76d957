// Whole-file reads and writes, with errors that name the path and the system's reason.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.h"

namespace shardgate {

// The bytes of the file at `path` (no newline translation).
// Errors: "cannot read <path>: <errno text>": kNotFound when it does not exist, kPermissionDenied
// when access is refused, kInternal otherwise (a directory, an I/O error).
// Thread-safety: safe from any thread; the file may change while it is read.
Result<std::string> ReadFile(const std::filesystem::path& path);

// Creates or truncates `path` and writes `content`; a new file gets `mode` (less the umask).
// Errors: "cannot write <path>: <errno text>", codes as for ReadFile. A failed write may leave
// the file truncated; use WriteFileAtomically when readers must never see that.
// Thread-safety: safe from any thread; concurrent writers of one path interleave.
Status WriteFile(const std::filesystem::path& path, std::string_view content, mode_t mode = 0666);

// Writes `<path>.tmp`, flushes it to disk and renames it over `path`, so readers (and a crash)
// see the old content or the new, never part of it.
// Errors: as for WriteFile, naming the file that failed.
// Thread-safety: one writer per path at a time (they share the .tmp file).
Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                           mode_t mode = 0666);

}  // namespace shardgate
