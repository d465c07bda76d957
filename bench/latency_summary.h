// Percentiles of a bench's latency samples (nearest rank), for the p50/p90/p99/max lines.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace shardgate::bench {

struct LatencySummary {
  size_t count = 0;
  std::chrono::milliseconds p50{0}, p90{0}, p99{0}, max{0};
};

// Nearest-rank percentiles of `samples` (order does not matter); all zero when empty.
// Thread-safety: a pure function.
LatencySummary Summarize(std::vector<std::chrono::milliseconds> samples);

// "p50 1234 ms  p90 ... ms  p99 ... ms  max ... ms (n=10)".
std::string FormatSummary(const LatencySummary& summary);

}  // namespace shardgate::bench
