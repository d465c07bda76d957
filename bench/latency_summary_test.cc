// Tests for the bench's nearest-rank percentiles.
#include "bench/latency_summary.h"

#include <doctest/doctest.h>

namespace shardgate::bench {
namespace {

using std::chrono::milliseconds;

TEST_CASE("percentiles of ten samples are nearest ranks whatever the order") {
  std::vector<milliseconds> v;
  for (int ms : {700, 100, 1000, 300, 200, 900, 500, 400, 800, 600}) v.emplace_back(ms);
  LatencySummary s = Summarize(v);
  CHECK(s.count == 10);
  CHECK(s.p50 == milliseconds(500));
  CHECK(s.p90 == milliseconds(900));
  CHECK(s.p99 == milliseconds(1000));
  CHECK(s.max == milliseconds(1000));
}

TEST_CASE("one sample is every percentile and no sample is all zero") {
  LatencySummary one = Summarize({milliseconds(42)});
  CHECK(one.p50 == milliseconds(42));
  CHECK(one.max == milliseconds(42));
  LatencySummary none = Summarize({});
  CHECK(none.count == 0);
  CHECK(none.p99 == milliseconds(0));
  CHECK(FormatSummary(none).find("(n=0)") != std::string::npos);
}

}  // namespace
}  // namespace shardgate::bench
