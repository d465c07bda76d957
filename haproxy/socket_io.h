// Deadline-bounded I/O on a non-blocking stream socket: the building blocks of the stats socket
// connections (haproxy/stats_connection.h).
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/status.h"

namespace shardgate::haproxy {

using SteadyClock = std::chrono::steady_clock;

// Owns a descriptor and closes it when reset or destroyed. Movable, not copyable.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset();

 private:
  int release();
  int fd_ = -1;
};

// Where a socket connects, as the kernel takes it.
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family = 0;
};

// A new non-blocking socket connected to `endpoint` before `deadline`. `peer` names it in
// messages (e.g. "stats socket /run/haproxy.sock").
// Errors: kUnavailable (refused, unreachable), kTimeout, kInternal (no socket).
Result<Fd> ConnectWithin(const Endpoint& endpoint, SteadyClock::time_point deadline,
                         const std::string& peer);

// The result of SendAll: `peer_closed` tells that the peer had closed the connection (EPIPE,
// ECONNRESET) before every byte went out.
struct SendOutcome {
  Status status;
  bool peer_closed = false;
};

// Writes all of `bytes`. Errors: kUnavailable, kTimeout.
SendOutcome SendAll(int fd, std::string_view bytes, SteadyClock::time_point deadline,
                    const std::string& peer);

// Waits for bytes and appends what one recv returns to `out`; returns how many (0 when the peer
// closed the connection). Errors: kUnavailable, kTimeout ("reply from <peer> timed out").
Result<size_t> ReadSome(int fd, std::string* out, SteadyClock::time_point deadline,
                        const std::string& peer);

// True when an idle connection can no longer carry a command: the peer closed it (EOF, hang-up,
// error), or it holds unread bytes, which nothing should have sent while it was idle.
// Never blocks.
bool IdleConnectionIsDead(int fd);

}  // namespace shardgate::haproxy
