// Percentiles of samples and quantiles of Prometheus histograms (see bench_figures.h).
#include "bench/bench_figures.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <sstream>

namespace shardgate::bench {
namespace {

// "+Inf" or a decimal number; false for anything else.
bool ParseBound(const std::string& text, double* out) {
  if (text == "+Inf") {
    *out = std::numeric_limits<double>::infinity();
    return true;
  }
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return !text.empty() && end == text.c_str() + text.size();
}

// The value after the last blank of a sample line.
double SampleValue(const std::string& line) {
  return std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
}

}  // namespace

double Percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  size_t at = static_cast<size_t>(p * static_cast<double>(samples.size() - 1) + 0.5);
  return samples[std::min(at, samples.size() - 1)];
}

std::string Quantiles(const std::vector<double>& samples, std::string_view unit) {
  char line[200];
  const std::string u(unit);
  std::snprintf(line, sizeof line, "n=%zu  p50 %.1f%s  p90 %.1f%s  p99 %.1f%s  max %.1f%s",
                samples.size(), Percentile(samples, 0.5), u.c_str(), Percentile(samples, 0.9),
                u.c_str(), Percentile(samples, 0.99), u.c_str(), Percentile(samples, 1.0),
                u.c_str());
  return line;
}

Result<BucketCounts> ReadHistogram(std::string_view text, std::string_view name) {
  const std::string bucket = std::string(name) + "_bucket{le=\"";
  const std::string sum = std::string(name) + "_sum ";
  const std::string count = std::string(name) + "_count ";
  BucketCounts h;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(bucket)) {
      size_t close = line.find('"', bucket.size());
      double bound = 0;
      if (close == std::string::npos ||
          !ParseBound(line.substr(bucket.size(), close - bucket.size()), &bound)) {
        return ProtocolError("histogram line '" + line + "' has no readable le");
      }
      h.upper_bounds.push_back(bound);
      h.cumulative.push_back(SampleValue(line));
    } else if (line.starts_with(sum)) {
      h.sum = SampleValue(line);
    } else if (line.starts_with(count)) {
      h.count = SampleValue(line);
    }
  }
  if (h.upper_bounds.empty()) return NotFound("no histogram " + std::string(name) + " in the text");
  return h;
}

BucketCounts Difference(const BucketCounts& after, const BucketCounts& before) {
  BucketCounts d = after;
  for (size_t i = 0; i < d.cumulative.size() && i < before.cumulative.size(); ++i) {
    d.cumulative[i] -= before.cumulative[i];
  }
  d.sum -= before.sum;
  d.count -= before.count;
  return d;
}

double HistogramQuantile(const BucketCounts& h, double q) {
  if (h.cumulative.empty() || h.cumulative.back() <= 0) return 0;
  const double rank = q * h.cumulative.back();
  for (size_t i = 0; i < h.cumulative.size(); ++i) {
    if (h.cumulative[i] < rank) continue;
    if (std::isinf(h.upper_bounds[i])) return i > 0 ? h.upper_bounds[i - 1] : 0;
    double lower = i > 0 ? h.upper_bounds[i - 1] : 0;
    double below = i > 0 ? h.cumulative[i - 1] : 0;
    double in_bucket = h.cumulative[i] - below;
    if (in_bucket <= 0) return h.upper_bounds[i];
    return lower + (h.upper_bounds[i] - lower) * (rank - below) / in_bucket;
  }
  return h.upper_bounds.back();
}

std::string HistogramFigures(const BucketCounts& h) {
  char line[200];
  std::snprintf(line, sizeof line, "n=%.0f  p50 ~%.1f ms  p99 ~%.1f ms  mean %.1f ms", h.count,
                HistogramQuantile(h, 0.5) * 1000, HistogramQuantile(h, 0.99) * 1000,
                h.count > 0 ? h.sum / h.count * 1000 : 0.0);
  return line;
}

double SumOfSeries(std::string_view text, std::string_view name) {
  double total = 0;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(name) || line.size() <= name.size()) continue;
    const char next = line[name.size()];
    if (next == '{' || next == ' ') total += SampleValue(line);
  }
  return total;
}

}  // namespace shardgate::bench
