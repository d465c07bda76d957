// Prometheus text rendering of the agent's board (pure).
#pragma once

#include <string>

#include "agent/state_board.h"

namespace shardgate::agent {

// Renders every agent metric in Prometheus text exposition format 0.0.4.
std::string RenderMetrics(const BoardSnapshot& snapshot);

}  // namespace shardgate::agent
