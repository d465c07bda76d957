// Whole-file reads and writes over open/read/write (see file.h).
#include "common/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shardgate {
namespace {

// "<what> <path>: <errno text>", with a code for the errno.
Status FileError(std::string_view what, const std::filesystem::path& path, int err) {
  std::string message = std::string(what) + " " + path.string() + ": " + std::strerror(err);
  if (err == ENOENT || err == ENOTDIR) return NotFound(std::move(message));
  if (err == EACCES || err == EPERM || err == EROFS) return PermissionDenied(std::move(message));
  return Internal(std::move(message));
}

// Writes all of `content` to `fd`; returns 0 or the errno of the failure.
int WriteAll(int fd, std::string_view content) {
  while (!content.empty()) {
    ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    content.remove_prefix(static_cast<size_t>(n));
  }
  return 0;
}

// Opens (creating or truncating), writes, optionally fsyncs, and closes.
Status WriteAndClose(const std::filesystem::path& path, std::string_view content, mode_t mode,
                     bool sync) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return FileError("cannot write", path, errno);
  int err = WriteAll(fd, content);
  if (err == 0 && sync && ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) return FileError("cannot write", path, err);
  return Status::Ok();
}

}  // namespace

Result<std::string> ReadFile(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return FileError("cannot read", path, errno);
  std::string content;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return FileError("cannot read", path, err);
    }
    if (n == 0) break;
    content.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

Status WriteFile(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  return WriteAndClose(path, content, mode, /*sync=*/false);
}

Status WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                           mode_t mode) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  RETURN_IF_ERROR(WriteAndClose(tmp, content, mode, /*sync=*/true));
  if (::rename(tmp.c_str(), path.c_str()) != 0) return FileError("cannot rename", tmp, errno);
  return Status::Ok();
}

}  // namespace shardgate
