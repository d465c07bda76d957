// Histogram: observations counted into fixed buckets, with their sum (Prometheus semantics).
#pragma once

#include <cstdint>
#include <vector>

namespace shardgate {

// A value type: not locked; callers that share one lock around it.
class Histogram {
 public:
  // `upper_bounds`: finite, strictly increasing; the +Inf bucket is implicit.
  // REQUIRES: the bounds are as stated (a broken list aborts: it is a programming error).
  explicit Histogram(std::vector<double> upper_bounds);

  // Counts `value` in the first bucket whose bound is >= value (values above every bound only
  // in +Inf) and adds it to the sum. NaN is ignored: it would poison the sum forever.
  void Observe(double value);

  const std::vector<double>& upper_bounds() const { return upper_bounds_; }
  // Observations <= upper_bounds()[i], one entry per bound (cumulative, as Prometheus wants).
  std::vector<uint64_t> CumulativeCounts() const;
  uint64_t count() const { return count_; }
  double sum() const { return sum_; }

 private:
  std::vector<double> upper_bounds_;
  std::vector<uint64_t> bucket_counts_;  // per bucket, not cumulative; the last is +Inf
  uint64_t count_ = 0;
  double sum_ = 0;
};

// Bounds for durations from 1 ms to 30 s, in seconds: .001 .0025 .005 .01 .025 .05 .1 .25 .5
// 1 2.5 5 10 30.
const std::vector<double>& LatencyBucketsSeconds();

}  // namespace shardgate
