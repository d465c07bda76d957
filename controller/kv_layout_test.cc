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

TEST_CASE("history keys sort in version order and give their version back") {
  CHECK(HistoryPrefix("orders") == "shardgate/orders/routing/history/");
  CHECK(HistoryKey("orders", 7) == "shardgate/orders/routing/history/00000000000000000007");
  CHECK(HistoryKey("orders", 9) < HistoryKey("orders", 10));
  CHECK(HistoryKeyVersion(HistoryKey("orders", 18446744073709551615u)) == 18446744073709551615u);
  CHECK(HistoryKeyVersion("00000000000000000042") == 42u);
  CHECK_FALSE(HistoryKeyVersion("shardgate/orders/routing/history/7").has_value());
  CHECK_FALSE(HistoryKeyVersion("shardgate/orders/routing/history/0000000000000000000x"));
}

TEST_CASE("blob chunks live under their blob id, which starts with the rules version") {
  CHECK(BlobsPrefix("orders") == "shardgate/orders/routing/blobs/");
  CHECK(BlobPrefix("orders", "12-ab") == "shardgate/orders/routing/blobs/12-ab/");
  CHECK(BlobChunkKey("orders", "12-ab", 3) == "shardgate/orders/routing/blobs/12-ab/3");
  CHECK(BlobIdVersion("12-ab") == 12u);
  CHECK_FALSE(BlobIdVersion("ab-12").has_value());
  CHECK_FALSE(BlobIdVersion("12").has_value());
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
