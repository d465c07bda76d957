// Bucket search and the latency bounds (see histogram.h).
#include "common/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace shardgate {
namespace {

bool ValidBounds(const std::vector<double>& bounds) {
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (!std::isfinite(bounds[i])) return false;
    if (i > 0 && !(bounds[i - 1] < bounds[i])) return false;
  }
  return true;
}

}  // namespace

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(std::move(upper_bounds)), bucket_counts_(upper_bounds_.size() + 1, 0) {
  if (!ValidBounds(upper_bounds_)) {
    std::fprintf(stderr, "Histogram: bucket bounds must be finite and strictly increasing\n");
    std::abort();
  }
}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  auto it = std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value);
  ++bucket_counts_[static_cast<size_t>(it - upper_bounds_.begin())];
  ++count_;
  sum_ += value;
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> out(upper_bounds_.size());
  uint64_t running = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    running += bucket_counts_[i];
    out[i] = running;
  }
  return out;
}

const std::vector<double>& LatencyBucketsSeconds() {
  static const std::vector<double> kBounds = {.001, .0025, .005, .01, .025, .05, .1,
                                              .25,  .5,    1,    2.5, 5,    10,  30};
  return kBounds;
}

}  // namespace shardgate
