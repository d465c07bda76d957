// poll(2)-based waiting and connecting for the test-side wire clients (see socket_wait.h).
#include "tests/harness/socket_wait.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace shardgate::harness {
namespace {

using std::chrono::milliseconds;

Status ConnectSocket(int fd, const std::string& host, int port, SocketClock::time_point deadline) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    return InvalidArgument("not an IPv4 address: " + host);
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return Status::Ok();
  if (errno != EINPROGRESS) {
    return Unavailable("connect " + host + ":" + std::to_string(port) + ": " +
                       std::strerror(errno));
  }
  Status ready = WaitForSocket(fd, POLLOUT, deadline);
  if (ready.code() == Code::kTimeout) return ready;
  int error = 0;
  socklen_t length = sizeof error;
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
  if (error != 0) {
    return Unavailable("connect " + host + ":" + std::to_string(port) + ": " +
                       std::strerror(error));
  }
  return Status::Ok();
}

}  // namespace

milliseconds Until(SocketClock::time_point deadline) {
  auto left = std::chrono::duration_cast<milliseconds>(deadline - SocketClock::now());
  return std::max(left, milliseconds(0));
}

Status WaitForSocket(int fd, short events, SocketClock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, static_cast<int>(Until(deadline).count()));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Internal(std::string("poll: ") + std::strerror(errno));
    if (n == 0) return Timeout("no socket activity before the deadline");
    if (p.revents & events) return Status::Ok();
    return Unavailable("connection error or hang-up");
  }
}

Result<int> ConnectTcp(const std::string& host, int port, milliseconds timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Internal(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  // Fragmented sends must leave as separate segments, not be coalesced by Nagle.
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  Status connected = ConnectSocket(fd, host, port, SocketClock::now() + timeout);
  if (!connected.ok()) {
    close(fd);
    return connected;
  }
  return fd;
}

bool IsIpAddress(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace shardgate::harness
