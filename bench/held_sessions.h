// Established PostgreSQL sessions held through HAProxy while the routing changes: each runs a
// trivial query every period, and every failed query counts against the method under test.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "agent/pq_session.h"
#include "common/clock.h"
#include "common/status.h"

namespace shardgate::bench {

// Where one held session connects: a router port and the shard key it sends.
struct HeldSessionTarget {
  int router_port = 0;
  int64_t key = 0;
};

struct HeldSessionsCount {
  int sessions = 0;
  int64_t queries = 0;  // successful
  int64_t failures = 0;
  int dropped = 0;  // sessions with at least one failed query (a failure closes the connection)
};

// One thread runs every session's query in turn, spread over the period. Not thread-safe
// (Start/Stop from one thread); the destructor stops the thread and closes the sessions.
class HeldSessions {
 public:
  // Opens one session per target (each answers `select 1` once before Start returns), then
  // starts the thread. Errors: the first session that could not connect.
  static Result<std::unique_ptr<HeldSessions>> Start(const std::vector<HeldSessionTarget>& targets,
                                                     std::chrono::milliseconds period);
  ~HeldSessions();
  HeldSessions(const HeldSessions&) = delete;
  HeldSessions& operator=(const HeldSessions&) = delete;

  // What happened since Start (or the last Reset).
  HeldSessionsCount Count();
  // Counts from zero again; the sessions stay open.
  void Reset();
  // Stops the thread and closes every session; Count() stays readable.
  void Stop();

 private:
  HeldSessions(std::chrono::milliseconds period) : period_(period) {}
  void Loop(std::stop_token stop);

  SystemClock clock_;
  std::chrono::milliseconds period_;
  std::vector<std::unique_ptr<agent::PqSession>> sessions_;
  std::mutex mu_;
  std::vector<bool> failed_;  // guarded by mu_, per session
  HeldSessionsCount count_;   // guarded by mu_
  std::jthread thread_;
};

}  // namespace shardgate::bench
