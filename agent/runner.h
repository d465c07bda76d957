// Runner: the agent's two loops — probing on the calling thread, publishing on its own — and the
// orderly stop (SIGTERM) that withdraws the node from Consul.
#pragma once

#include <stop_token>

#include "agent/config.h"
#include "agent/pool_probe.h"
#include "agent/probe.h"
#include "agent/publisher.h"
#include "agent/state_board.h"
#include "common/sleeper.h"

namespace shardgate::agent {

// One probe round: node probe (and PgBouncer pool probe when given), each bounded by the probe
// deadline, then the policy; posts the resulting state on the board. Rounds never overlap: the
// caller starts the next one after this returns. `pool` may be null.
class ProbeRound {
 public:
  ProbeRound(const AgentConfig& config, const Clock& clock, NodeProbe& probe, PoolProbe* pool,
             StateBoard& board)
      : config_(config),
        clock_(clock),
        probe_(probe),
        pool_(pool),
        board_(board),
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

// Runs `round` every `config.interval` on the calling thread until `stop` is requested; a round
// that ends late is followed at once by the next, never by a burst of the missed ones.
void RunProbeRounds(const AgentConfig& config, const Clock& clock, Sleeper& sleeper,
                    ProbeRound& round, std::stop_token stop);

// Runs until `stop` is requested, then withdraws the node (critical or deregister) at once and
// returns the status of that last write. Probes on the calling thread, publishes on its own.
// Real clocks only: the publisher waits for board news on the steady clock.
Status RunAgent(const AgentConfig& config, const Clock& clock, Sleeper& sleeper, NodeProbe& probe,
                PoolProbe* pool, Publisher& publisher, StateBoard& board, std::stop_token stop);

}  // namespace shardgate::agent
