// Histogram: bucket boundaries, cumulative counts, sum, NaN.
#include "common/histogram.h"

#include <doctest/doctest.h>

#include <cmath>

namespace shardgate {
namespace {

TEST_CASE("a value equal to a bound is counted in that bound's bucket and every later one") {
  Histogram h({1, 2, 5});
  h.Observe(2);
  CHECK(h.CumulativeCounts() == std::vector<uint64_t>{0, 1, 1});
  CHECK(h.count() == 1);
  CHECK(h.sum() == 2);
}

TEST_CASE("values above every bound are only in the count, and counts are cumulative") {
  Histogram h({1, 2, 5});
  for (double v : {0.5, 1.5, 1.7, 4.0, 9.0, 100.0}) h.Observe(v);
  CHECK(h.CumulativeCounts() == std::vector<uint64_t>{1, 3, 4});
  CHECK(h.count() == 6);
  CHECK(h.sum() == doctest::Approx(116.7));
}

TEST_CASE("negative values fall in the first bucket and NaN is not counted at all") {
  Histogram h({1, 2});
  h.Observe(-3);
  h.Observe(std::nan(""));
  CHECK(h.CumulativeCounts() == std::vector<uint64_t>{1, 1});
  CHECK(h.count() == 1);
  CHECK(h.sum() == -3);
}

TEST_CASE("the latency bounds run from 1 ms to 30 s in increasing order") {
  const std::vector<double>& b = LatencyBucketsSeconds();
  REQUIRE(b.size() == 14);
  CHECK(b.front() == 0.001);
  CHECK(b.back() == 30);
  Histogram h(b);  // would abort on a badly ordered list
  CHECK(h.upper_bounds() == b);
}

}  // namespace
}  // namespace shardgate
