// Nearest-rank percentiles over millisecond samples.
#include "bench/latency_summary.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace shardgate::bench {
namespace {

// Nearest rank: the smallest sample with at least p of all samples at or below it.
std::chrono::milliseconds Rank(const std::vector<std::chrono::milliseconds>& sorted, double p) {
  auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

LatencySummary Summarize(std::vector<std::chrono::milliseconds> samples) {
  LatencySummary s;
  s.count = samples.size();
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.p50 = Rank(samples, 0.50);
  s.p90 = Rank(samples, 0.90);
  s.p99 = Rank(samples, 0.99);
  s.max = samples.back();
  return s;
}

std::string FormatSummary(const LatencySummary& s) {
  char line[160];
  std::snprintf(line, sizeof line, "p50 %6lld ms  p90 %6lld ms  p99 %6lld ms  max %6lld ms (n=%zu)",
                static_cast<long long>(s.p50.count()), static_cast<long long>(s.p90.count()),
                static_cast<long long>(s.p99.count()), static_cast<long long>(s.max.count()),
                s.count);
  return line;
}

}  // namespace shardgate::bench
