// StateBoard: the latest NodeState and probe figures, shared between the probe loop (writer) and
// the publisher, /metrics and agent-check readers.
#pragma once

#include <cstdint>
#include <string>

#include "agent/policy.h"
#include "agent/publisher.h"
#include "common/clock.h"
#include "common/latest_board.h"

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
  uint64_t version = 0;  // owned by the board: bumped by every PostState
};

// Thread-safety: see LatestBoard.
using StateBoard = LatestBoard<BoardSnapshot>;

// A probe round's outcome: a new version, which wakes the publisher.
inline void PostState(StateBoard& board, const NodeState& state, const ProbeFigures& figures) {
  board.PostEdit([&](BoardSnapshot& s) {
    s.state = state;
    s.probe = figures;
  });
}

// The publisher's own figures: no new version, so the publisher does not wake itself.
inline void PostPublishStats(StateBoard& board, const PublisherStats& stats) {
  board.Amend([&](BoardSnapshot& s) { s.publish = stats; });
}

}  // namespace shardgate::agent
