// AttemptLoop: one operation repeated on its own thread at a steady period, every attempt recorded
// with its start and end: how tests and benches watch a port through a failure.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace shardgate::harness {

// One attempt (a connection, a query, a write); on success a word that says where it landed,
// e.g. the node's cluster_name or port. It must end by itself within a bounded time.
using AttemptFn = std::function<Result<std::string>()>;

struct Attempt {
  std::chrono::steady_clock::time_point start, end;
  bool ok = false;
  std::string detail;  // what the attempt returned on success, its error otherwise
};

// Calls `attempt` on its own thread, starting one every `period` until Stop(). Without
// `overlap`, an attempt that takes longer delays the next one (one attempt at a time); with it,
// each attempt runs on a thread of its own, so one that hangs (a connection HAProxy keeps
// retrying) does not stop the others from starting on time. Attempts are recorded in the order
// they end. Thread-safety: Start/Stop from one thread; the queries from any thread.
class AttemptLoop {
 public:
  AttemptLoop(AttemptFn attempt, std::chrono::milliseconds period, bool overlap = false);
  ~AttemptLoop();
  AttemptLoop(const AttemptLoop&) = delete;
  AttemptLoop& operator=(const AttemptLoop&) = delete;

  void Start();
  // Returns once the attempts under way have ended (bounded by the attempt's own timeout).
  void Stop();
  // The first successful attempt to end that started at or after `from` and returned `detail`.
  std::optional<Attempt> FirstSuccessFrom(std::chrono::steady_clock::time_point from,
                                          const std::string& detail) const;
  // The last attempt to end, if any.
  std::optional<Attempt> Last() const;
  // Every attempt that ended, in the order they ended.
  std::vector<Attempt> Attempts() const;

 private:
  void Run();
  void RunOne(std::chrono::steady_clock::time_point start);

  AttemptFn attempt_;
  std::chrono::milliseconds period_;
  bool overlap_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<Attempt> attempts_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace shardgate::harness
