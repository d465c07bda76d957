// Runner: the agent's two loops — probing on the calling thread, publishing on its own — and the
// orderly stop (SIGTERM) that withdraws the node from Consul.
#pragma once

#include <condition_variable>
#include <mutex>

#include "agent/config.h"
#include "agent/pool_probe.h"
#include "agent/probe.h"
#include "agent/publisher.h"
#include "agent/state_board.h"

namespace shardgate::agent {

// A stop request that wakes sleepers at once. Thread-safety: all methods from any thread.
class StopFlag {
 public:
  void Request() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    cv_.notify_all();
  }
  bool requested() const {
    std::lock_guard lock(mu_);
    return stopped_;
  }
  // Sleeps until `until` or a stop request; true when stopped.
  bool SleepUntil(SteadyTime until) {
    std::unique_lock lock(mu_);
    return cv_.wait_until(lock, until, [&] { return stopped_; });
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopped_ = false;
};

// One probe round: node probe (and PgBouncer pool probe when given), each bounded by the probe
// deadline, then the policy; posts the resulting state on the board. Rounds never overlap: the
// caller starts the next one after this returns. `pool` may be null.
class ProbeRound {
 public:
  ProbeRound(const AgentConfig& config, const Clock& clock, NodeProbe& probe, PoolProbe* pool,
             StateBoard& board)
      : config_(config), clock_(clock), probe_(probe), pool_(pool), board_(board),
        policy_(config.policy) {}

  // REQUIRES: the board's publish stats carry the maintenance flag the publisher last read.
  void Run();

 private:
  const AgentConfig& config_;
  const Clock& clock_;
  NodeProbe& probe_;
  PoolProbe* pool_;
  StateBoard& board_;
  Policy policy_;
  ProbeFigures figures_;
  NodeState last_logged_;
};

// Runs until `stop` is requested, then withdraws the node (critical or deregister) and returns
// the status of that last write. Real clocks only: sleeps use the steady clock.
// REQUIRES: whoever calls stop.Request() also calls board.Wake() so the publisher notices at once.
Status RunAgent(const AgentConfig& config, const Clock& clock, NodeProbe& probe, PoolProbe* pool,
                Publisher& publisher, StateBoard& board, StopFlag& stop);

}  // namespace shardgate::agent
