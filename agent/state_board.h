// StateBoard: the latest NodeState and probe figures, shared between the probe loop (writer) and
// the publisher, /metrics and agent-check readers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "agent/policy.h"
#include "agent/publisher.h"
#include "common/clock.h"

namespace shardgate::agent {

// Probe-side counters and the last probe's outcome, for /metrics.
struct ProbeFigures {
  uint64_t probes = 0;
  uint64_t probe_failures = 0;
  Millis last_duration{0};
  std::string last_error;  // "" after a successful probe
  int backends = 0;
  int max_connections = 0;
};

// A consistent copy of everything on the board.
struct BoardSnapshot {
  NodeState state;
  ProbeFigures probe;
  PublisherStats publish;
  uint64_t version = 0;  // bumped by every state post
};

// Thread-safety: every method locks; safe from any thread.
class StateBoard {
 public:
  void PostState(const NodeState& state, const ProbeFigures& figures) {
    std::lock_guard lock(mu_);
    snapshot_.state = state;
    snapshot_.probe = figures;
    ++snapshot_.version;
    cv_.notify_all();
  }
  void PostPublishStats(const PublisherStats& stats) {
    std::lock_guard lock(mu_);
    snapshot_.publish = stats;
  }
  BoardSnapshot Snapshot() const {
    std::lock_guard lock(mu_);
    return snapshot_;
  }
  // Waits until a state newer than `seen_version` is posted, `Wake` is called, or `until`.
  // Returns the snapshot at that point.
  BoardSnapshot WaitNewer(uint64_t seen_version, std::chrono::steady_clock::time_point until) {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, until, [&] { return snapshot_.version != seen_version || woken_; });
    woken_ = false;
    return snapshot_;
  }
  void Wake() {
    std::lock_guard lock(mu_);
    woken_ = true;
    cv_.notify_all();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  BoardSnapshot snapshot_;
  bool woken_ = false;
};

}  // namespace shardgate::agent
