// UnixRuntimeSocket and TcpRuntimeSocket: one command per connection, reply read until HAProxy
// closes.
#include "haproxy/runtime_socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shardgate::haproxy {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Closes the descriptor when it goes out of scope.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

// A command is one line, optionally followed by "<<\n" and a payload of complete lines; HAProxy
// ends the payload at the first empty line, which Execute adds.
Status CheckCommand(std::string_view command) {
  size_t marker = command.find("<<\n");
  std::string_view line = command.substr(0, marker);
  if (line.empty()) return InvalidArgument("empty runtime-API command");
  if (line.find('\n') != std::string_view::npos) {
    return InvalidArgument("runtime-API command contains a newline outside its payload");
  }
  if (marker == std::string_view::npos) return Status::Ok();
  std::string_view payload = command.substr(marker + 3);
  if (payload.empty() || payload.back() != '\n' || payload.find("\n\n") != std::string_view::npos ||
      payload.front() == '\n') {
    return InvalidArgument("runtime-API payload must be non-empty lines each ending in a newline");
  }
  return Status::Ok();
}

int MillisLeft(SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// Waits until fd is ready for `events` or the deadline passes.
Status WaitFor(int fd, short events, SteadyClock::time_point deadline, std::string_view what) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, MillisLeft(deadline));
    if (n > 0) return Status::Ok();
    if (n == 0) return Timeout(std::string(what) + " timed out");
    if (errno != EINTR) return Unavailable(Errno(std::string(what) + " poll"));
  }
}

// Connects a non-blocking socket, bounded by the deadline.
Status ConnectWithin(int fd, const sockaddr* addr, socklen_t len, SteadyClock::time_point deadline,
                     const std::string& peer) {
  if (connect(fd, addr, len) == 0) return Status::Ok();
  if (errno != EINPROGRESS && errno != EAGAIN) return Unavailable(Errno("connect to " + peer));
  RETURN_IF_ERROR(WaitFor(fd, POLLOUT, deadline, "connect to " + peer));
  int err = 0;
  socklen_t err_len = sizeof(err);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len);
  if (err != 0) {
    errno = err;
    return Unavailable(Errno("connect to " + peer));
  }
  return Status::Ok();
}

// Sends the command and a final newline, then reads until the peer closes.
Result<std::string> Exchange(int fd, std::string_view command, SteadyClock::time_point deadline,
                             const std::string& peer) {
  std::string out(command);
  out += '\n';
  size_t sent = 0;
  while (sent < out.size()) {
    RETURN_IF_ERROR(WaitFor(fd, POLLOUT, deadline, "send to " + peer));
    ssize_t n = send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno != EINTR && errno != EAGAIN) return Unavailable(Errno("send to " + peer));
    if (n > 0) sent += static_cast<size_t>(n);
  }
  std::string reply;
  char buf[16384];
  for (;;) {
    RETURN_IF_ERROR(WaitFor(fd, POLLIN, deadline, "reply from " + peer));
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n == 0) return reply;
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
    } else if (errno != EINTR && errno != EAGAIN) {
      return Unavailable(Errno("read from " + peer));
    }
  }
}

Result<std::string> ExecuteOn(int family, const sockaddr* addr, socklen_t len,
                              std::string_view command, std::chrono::milliseconds timeout,
                              const std::string& peer) {
  RETURN_IF_ERROR(CheckCommand(command));
  const auto deadline = SteadyClock::now() + timeout;
  Fd fd(socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Internal(Errno("socket"));
  RETURN_IF_ERROR(ConnectWithin(fd.get(), addr, len, deadline, peer));
  return Exchange(fd.get(), command, deadline, peer);
}

}  // namespace

Result<std::string> UnixRuntimeSocket::Execute(std::string_view command) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.empty() || path_.size() >= sizeof(addr.sun_path)) {
    return InvalidArgument("stats socket path '" + path_ + "' is empty or too long");
  }
  std::memcpy(addr.sun_path, path_.data(), path_.size());
  return ExecuteOn(AF_UNIX, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr), command,
                   timeout_, "stats socket " + path_);
}

Result<std::string> TcpRuntimeSocket::Execute(std::string_view command) {
  const std::string peer = "stats socket " + host_ + ":" + std::to_string(port_);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, &found);
  if (rc != 0) return Unavailable("resolve " + peer + ": " + gai_strerror(rc));
  Result<std::string> reply = ExecuteOn(found->ai_family, found->ai_addr, found->ai_addrlen,
                                        command, timeout_, peer);
  freeaddrinfo(found);
  return reply;
}

}  // namespace shardgate::haproxy
