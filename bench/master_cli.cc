// The master CLI over a Unix socket (see master_cli.h).
#include "bench/master_cli.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "common/numbers.h"

namespace shardgate::bench {
namespace {

Status Errno(const std::string& what) { return Unavailable(what + ": " + std::strerror(errno)); }

}  // namespace

Result<std::string> MasterCommand(const std::string& path, const std::string& command,
                                  std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) return InvalidArgument("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  // Blocking with a receive timeout: one short exchange, nothing else waits on this thread.
  timeval tv{static_cast<time_t>(timeout.count() / 1000),
             static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string line = command + "\n";
  Status st = Status::Ok();
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    st = Errno("connect " + path);
  } else if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) !=
             static_cast<ssize_t>(line.size())) {
    st = Errno("send to " + path);
  }
  std::string reply;
  if (st.ok()) ::shutdown(fd, SHUT_WR);
  while (st.ok()) {
    char buf[4096];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n == 0) break;
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      st = Timeout("no end of '" + command + "' from " + path);
    } else if (errno != EINTR) {
      st = Errno("recv from " + path);
    }
  }
  ::close(fd);
  RETURN_IF_ERROR(st);
  return reply;
}

Result<int> MasterReloads(const std::string& path, std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(std::string text, MasterCommand(path, "show proc", timeout));
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string pid, type, reloads;
    fields >> pid >> type >> reloads;
    int count = 0;
    if (type == "master" && ParseInteger(reloads, &count)) return count;
  }
  return ProtocolError("no master line in show proc from " + path);
}

}  // namespace shardgate::bench
