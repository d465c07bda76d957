// Deadline-bounded connect, send and receive on a non-blocking stream socket.
#include "haproxy/socket_io.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace shardgate::haproxy {
namespace {

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

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

}  // namespace

Fd& Fd::operator=(Fd&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = other.release();
  }
  return *this;
}

void Fd::reset() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

int Fd::release() {
  int fd = fd_;
  fd_ = -1;
  return fd;
}

Result<Fd> ConnectWithin(const Endpoint& endpoint, SteadyClock::time_point deadline,
                         const std::string& peer) {
  Fd fd(socket(endpoint.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return Internal(Errno("socket"));
  const sockaddr* addr = reinterpret_cast<const sockaddr*>(&endpoint.addr);
  if (connect(fd.get(), addr, endpoint.len) == 0) return fd;
  const std::string what = "connect to " + peer;
  if (errno != EINPROGRESS && errno != EAGAIN) return Unavailable(Errno(what));
  RETURN_IF_ERROR(WaitFor(fd.get(), POLLOUT, deadline, what));
  int err = 0;
  socklen_t err_len = sizeof(err);
  getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &err_len);
  if (err != 0) {
    errno = err;
    return Unavailable(Errno(what));
  }
  return fd;
}

SendOutcome SendAll(int fd, std::string_view bytes, SteadyClock::time_point deadline,
                    const std::string& peer) {
  size_t sent = 0;
  while (sent < bytes.size()) {
    Status ready = WaitFor(fd, POLLOUT, deadline, "send to " + peer);
    if (!ready.ok()) return {ready};
    ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
      const bool peer_closed = errno == EPIPE || errno == ECONNRESET;
      return {Unavailable(Errno("send to " + peer)), peer_closed};
    }
  }
  return {Status::Ok()};
}

Result<size_t> ReadSome(int fd, std::string* out, SteadyClock::time_point deadline,
                        const std::string& peer) {
  char buf[16384];
  for (;;) {
    RETURN_IF_ERROR(WaitFor(fd, POLLIN, deadline, "reply from " + peer));
    ssize_t n = recv(fd, buf, sizeof(buf), 0);
    if (n >= 0) {
      out->append(buf, static_cast<size_t>(n));
      return static_cast<size_t>(n);
    }
    if (errno != EINTR && errno != EAGAIN) return Unavailable(Errno("read from " + peer));
  }
}

bool IdleConnectionIsDead(int fd) {
  pollfd p{fd, POLLIN | POLLRDHUP, 0};
  int n;
  do {
    n = poll(&p, 1, 0);
  } while (n < 0 && errno == EINTR);
  // POLLHUP, POLLERR and POLLNVAL are reported whatever was asked for.
  return n != 0;
}

}  // namespace shardgate::haproxy
