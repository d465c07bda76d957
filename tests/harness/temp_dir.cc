// mkdtemp-based temporary directories with optional ownership for the postgres user.
#include "tests/harness/temp_dir.h"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <system_error>

namespace shardgate::harness {
Status ChownToUser(const std::filesystem::path& path, const std::string& owner) {
  struct passwd pwd {};
  struct passwd* pw = nullptr;
  char buf[4096];
  if (getpwnam_r(owner.c_str(), &pwd, buf, sizeof buf, &pw) != 0 || pw == nullptr) {
    return NotFound("no such user: " + owner);
  }
  if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
    return Internal("chown " + path.string() + ": " + strerror(errno));
  }
  return Status::Ok();
}

bool KeepTemp() {
  const char* keep = std::getenv("SHARDGATE_KEEP_TMP");
  return keep != nullptr && std::string(keep) == "1";
}

Result<std::unique_ptr<TempDir>> TempDir::Create(const std::string& prefix,
                                                 const std::filesystem::path& parent,
                                                 const std::string& owner) {
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  std::string templ = (parent / (prefix + "-XXXXXX")).string();
  if (mkdtemp(templ.data()) == nullptr) {
    return Unavailable("mkdtemp " + templ + ": " + strerror(errno));
  }
  std::unique_ptr<TempDir> dir(new TempDir(templ));
  if (owner.empty()) {
    chmod(templ.c_str(), 0711);
    return dir;
  }
  RETURN_IF_ERROR(ChownToUser(dir->path(), owner));
  return dir;
}

TempDir::~TempDir() {
  if (KeepTemp()) {
    std::cerr << "SHARDGATE_KEEP_TMP=1: keeping " << path_.string() << "\n";
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Status MakeOwnedDir(const std::filesystem::path& dir, const std::string& owner) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("mkdir " + dir.string() + ": " + ec.message());
  chmod(dir.c_str(), 0700);
  return ChownToUser(dir, owner);
}

}  // namespace shardgate::harness
