// Temporary directories for test state, removed on destruction unless SHARDGATE_KEEP_TMP=1.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"

namespace shardgate::harness {

class TempDir {
 public:
  // Creates <parent>/<prefix>-XXXXXX (mode 0711 so other users can traverse into subdirectories
  // they own). With `owner` set, the directory is chowned to that user and mode 0700.
  static Result<std::unique_ptr<TempDir>> Create(const std::string& prefix,
                                                 const std::filesystem::path& parent = "/tmp",
                                                 const std::string& owner = "");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

// Creates `dir` (and parents) owned by `owner` with mode 0700; used for per-node directories.
Status MakeOwnedDir(const std::filesystem::path& dir, const std::string& owner);

// Gives `path` to the system user `owner` (and its primary group). Errors: kNotFound for an
// unknown user, kInternal naming the path when chown fails.
Status ChownToUser(const std::filesystem::path& path, const std::string& owner);

// True when SHARDGATE_KEEP_TMP=1: leave state behind for post-mortems.
bool KeepTemp();

}  // namespace shardgate::harness
