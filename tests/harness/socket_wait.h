// Deadlines on non-blocking sockets for the test-side wire clients: waiting for readiness with
// poll(2), connecting to 127.0.0.1-style IPv4 addresses.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"

namespace shardgate::harness {

using SocketClock = std::chrono::steady_clock;

// Time left until `deadline`; zero once it passed.
std::chrono::milliseconds Until(SocketClock::time_point deadline);

// Waits for `events` (POLLIN, POLLOUT) on fd until deadline. Errors: kTimeout at the deadline,
// kUnavailable on POLLERR/POLLHUP without the events (the next read or write says why),
// kInternal when poll fails.
Status WaitForSocket(int fd, short events, SocketClock::time_point deadline);

// Whether `host` is an IPv4 or IPv6 address literal (else a name).
bool IsIpAddress(const std::string& host);

// A non-blocking TCP socket (TCP_NODELAY, close-on-exec) connected to host:port, host an IPv4
// address. The caller owns the returned fd. Errors: kInvalidArgument for a host that is not an
// IPv4 address, kUnavailable naming host:port and the reason, kTimeout.
Result<int> ConnectTcp(const std::string& host, int port, std::chrono::milliseconds timeout);

}  // namespace shardgate::harness
