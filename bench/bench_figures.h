// Figures from measurements: percentiles of samples, and quantiles of the Prometheus histograms a
// program under test exports (bucket counts read from its /metrics text).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace shardgate::bench {

// Nearest-rank percentile (p in 0..1) of `samples`; 0 when there are none.
double Percentile(std::vector<double> samples, double p);

// "n=<n>  p50 <x>  p90 <x>  p99 <x>  max <x>" with `unit` after each figure (one decimal).
std::string Quantiles(const std::vector<double>& samples, std::string_view unit);

// One histogram as Prometheus text carries it: cumulative counts per upper bound (+Inf last).
struct BucketCounts {
  std::vector<double> upper_bounds;  // ascending; the last is +Inf
  std::vector<double> cumulative;    // observations <= the bound
  double sum = 0;
  double count = 0;
};

// Reads `<name>_bucket{le="..."}`, `<name>_sum` and `<name>_count` of an unlabelled histogram.
// Errors: kNotFound when the text has no bucket of `name`.
Result<BucketCounts> ReadHistogram(std::string_view text, std::string_view name);

// What was observed between two readings of one histogram (`after` - `before`, bucket by bucket).
// REQUIRES: both readings have the same buckets.
BucketCounts Difference(const BucketCounts& after, const BucketCounts& before);

// The q-quantile (0..1) as Prometheus' histogram_quantile() estimates it: linear inside the
// bucket that holds it, the largest finite bound when it falls in +Inf; 0 without observations.
double HistogramQuantile(const BucketCounts& histogram, double q);

// "n=<n>  p50 ~<x> ms  p99 ~<x> ms  mean <x> ms" of a histogram in seconds (quantiles estimated
// from the buckets, the mean exact from _sum and _count).
std::string HistogramFigures(const BucketCounts& histogram);

// The sum of every series of `name` (a counter or gauge, all label sets) in Prometheus text.
double SumOfSeries(std::string_view text, std::string_view name);

}  // namespace shardgate::bench
