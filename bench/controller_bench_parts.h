// The three parts of controller_bench and their sizes: Consul change -> applied in HAProxy,
// full resync after an HAProxy restart, the controller's CPU and RSS. Each prints its figures.
#pragma once

#include <string>
#include <vector>

#include "bench/controller_bench_stack.h"
#include "common/status.h"

namespace shardgate::bench {

struct ControllerBenchFlags {
  std::string parts = "123";  // which parts run
  // Part 1: 3 shards x 3 nodes.
  int changes = 200;  // per series
  // One series per spacing. The change cycle makes 1.5 Consul index changes per change: at 200 ms
  // that is 7.5/s, under the controller's health-watch rate limit (a burst of 5 queries, then one
  // per 100 ms); at 75 ms it is 20/s, over it.
  std::vector<int> spacings_ms = {200, 75};
  // Parts 2 and 3: one larger fleet.
  int shards = 50;
  int nodes = 10;
  int segments = 1000;
  int restarts = 5;
  // Part 3.
  int phase_seconds = 20;
  int rate = 10;  // changes per second
};

// Part 1, on its own 3 x 3 stack.
Status RunApplyLatency(const ControllerBenchFlags& flags);
// Part 2 on `stack` (the controller already applied the fleet once).
Status RunResync(ControllerBenchStack& stack, const ControllerBenchFlags& flags);
// Part 3 on `stack`.
Status RunUsage(ControllerBenchStack& stack, const ControllerBenchFlags& flags);

}  // namespace shardgate::bench
