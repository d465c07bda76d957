// Tests for the KV key names and the seed rule set.
#include "controller/kv_layout.h"

#include <doctest/doctest.h>

namespace shardgate::controller {
namespace {

TEST_CASE("every key of a cluster lives under shardgate/<cluster>/") {
  CHECK(ClusterPrefix("orders") == "shardgate/orders/");
  CHECK(RulesKey("orders") == "shardgate/orders/routing/rules");
  CHECK(ControllerReportKey("orders", "lb-1") == "shardgate/orders/controllers/lb-1");
  CHECK(ControllersPrefix("orders") == "shardgate/orders/controllers/");
}

TEST_CASE("a seed rule set routes exactly the segments it was made from") {
  std::vector<model::Segment> segments = {{0, 4999, "shard_1"}, {5000, 9999, "shard_2"}};
  WallTime t0 = WallTime() + std::chrono::hours(1000);
  RuleSet set = RuleSetFromSegments(segments, t0, "seed");
  REQUIRE(ValidateRuleSet(set).ok());
  CHECK(set.version == 1);
  CHECK(set.next_id == 3);
  CHECK(set.rules[1].reason == "seed");
  CHECK(Flatten(set.rules, t0).segments == segments);
  CHECK_FALSE(Flatten(set.rules, t0).next_change.has_value());
}

}  // namespace
}  // namespace shardgate::controller
