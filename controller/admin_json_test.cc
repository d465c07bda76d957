// The admin API's JSON shapes: rules, changes, the effective map and times.
#include "controller/admin_json.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

namespace shardgate::controller {
namespace {

using Json = nlohmann::json;

WallTime AtMillis(int64_t ms) { return WallTime(Millis(ms)); }

TEST_CASE("times are RFC 3339 in UTC with milliseconds") {
  CHECK(FormatTime(AtMillis(0)) == "1970-01-01T00:00:00.000Z");
  CHECK(FormatTime(AtMillis(1'700'000'000'123)) == "2023-11-14T22:13:20.123Z");
  CHECK(FormatTime(AtMillis(951'782'400'000)) == "2000-02-29T00:00:00.000Z");
  CHECK(FormatTime(AtMillis(-1)) == "1969-12-31T23:59:59.999Z");
  CHECK(TimeJson(std::nullopt).is_null());
}

TEST_CASE("a rule is shown with its range string, times and author") {
  RoutingRule rule{12,
                   -500,
                   -1,
                   "shard_3",
                   AtMillis(1'700'000'000'000),
                   AtMillis(1'700'003'600'000),
                   "move hot tenants",
                   "alice"};
  CHECK(RuleJson(rule) == Json::parse(R"({"id": 12, "lo": -500, "hi": -1,
      "partition_key_range": "-500--1", "target_backend": "shard_3",
      "created_at": "2023-11-14T22:13:20.000Z", "expires_at": "2023-11-14T23:13:20.000Z",
      "created_by": "alice", "reason": "move hot tenants"})"));
  rule.expires_at.reset();
  CHECK(RuleJson(rule)["expires_at"].is_null());
}

TEST_CASE("changes are capped and show a missing owner as null") {
  std::vector<RangeChange> changes = {
      {0, 9, std::nullopt, "a"}, {10, 19, "a", "b"}, {20, 29, "b", std::nullopt}};
  CHECK(ChangesJson(changes, 1000) == Json::parse(R"([{"lo": 0, "hi": 9, "from": null, "to": "a"},
      {"lo": 10, "hi": 19, "from": "a", "to": "b"}, {"lo": 20, "hi": 29, "from": "b", "to": null}])"));
  CHECK(ChangesJson(changes, 2).size() == 2);
  CHECK(ChangesJson({}, 5) == Json::array());
}

TEST_CASE("the effective map lists its segments with their backend") {
  FlatMap map{{{-5, 5, "a"}, {6, 9, "b"}}, std::nullopt};
  CHECK(EffectiveJson(map) == Json::parse(R"([{"lo": -5, "hi": 5, "target_backend": "a"},
      {"lo": 6, "hi": 9, "target_backend": "b"}])"));
  CHECK(EffectiveJson(FlatMap{}) == Json::array());
}

}  // namespace
}  // namespace shardgate::controller
