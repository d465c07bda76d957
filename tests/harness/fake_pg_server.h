// FakePgServer: a minimal PostgreSQL responder for benchmarks, so the router's own cost can be
// measured without PostgreSQL's backend fork in the way.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "common/status.h"

namespace shardgate::harness {

// Accepts TCP on 127.0.0.1, answers SSLRequest/GSSENCRequest with 'N', answers a protocol-3
// StartupMessage with AuthenticationOk, ParameterStatus(server_version), BackendKeyData and
// ReadyForQuery, answers a Query with EmptyQueryResponse + ReadyForQuery, and closes on
// Terminate, on a CancelRequest, or after a 08P01 ErrorResponse for anything else.
// Runs `threads` epoll loops sharing one listening socket. Replies are a few dozen bytes, so a
// reply that does not fit the (empty) socket buffer at once closes the connection and counts as
// a failure rather than being queued.
// Thread-safety: counters() may be called from any thread while it runs.
class FakePgServer {
 public:
  struct Counters {
    uint64_t accepted = 0;
    uint64_t startups = 0;    // answered with ReadyForQuery
    uint64_t cancels = 0;     // CancelRequests received
    uint64_t terminated = 0;  // closed after Terminate
    uint64_t rejected = 0;    // closed after an ErrorResponse or a failed write
  };

  // Binds 127.0.0.1:`port` (0 = a free port) and starts the loops.
  static Result<std::unique_ptr<FakePgServer>> Start(int threads = 1, int port = 0);
  ~FakePgServer();
  FakePgServer(const FakePgServer&) = delete;
  FakePgServer& operator=(const FakePgServer&) = delete;

  int port() const { return port_; }
  Counters counters() const;
  // Stops the loops and closes every socket; idempotent.
  void Stop();

 private:
  struct SharedCounters {
    std::atomic<uint64_t> accepted{0}, startups{0}, cancels{0}, terminated{0}, rejected{0};
  };
  FakePgServer() = default;
  void Loop(int epoll_fd);

  int listen_fd_ = -1;
  int stop_fd_ = -1;  // eventfd that wakes every loop on Stop()
  int port_ = 0;
  std::vector<int> epoll_fds_;
  std::vector<std::thread> threads_;
  SharedCounters counters_;
  std::atomic<int32_t> next_pid_{1000};
};

}  // namespace shardgate::harness
