// Routing rules: flattening against a per-key brute force, expiry, and the KV JSON form.
#include "controller/routing_rules.h"

#include <doctest/doctest.h>

#include <limits>
#include <random>

namespace shardgate::controller {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

WallTime At(int64_t seconds) { return WallTime(std::chrono::seconds(seconds)); }

RoutingRule Rule(uint64_t id, int64_t lo, int64_t hi, std::string shard,
                 std::optional<int64_t> expires_s = std::nullopt) {
  RoutingRule rule{id, lo, hi, std::move(shard), At(0), std::nullopt, ""};
  if (expires_s) rule.expires_at = At(*expires_s);
  return rule;
}

// The shard a key goes to by reading the rules one key at a time: the definition of Flatten.
std::optional<std::string> BruteForce(const std::vector<RoutingRule>& rules, int64_t key,
                                      WallTime now) {
  std::optional<std::string> owner;
  for (const RoutingRule& rule : rules) {
    if (!Expired(rule, now) && rule.lo <= key && key <= rule.hi) owner = rule.shard;
  }
  return owner;
}

std::optional<std::string> Lookup(const FlatMap& flat, int64_t key) {
  for (const model::Segment& s : flat.segments) {
    if (s.lo <= key && key <= s.hi) return s.shard;
  }
  return std::nullopt;
}

TEST_CASE("a newer rule wins where it overlaps an older one and the older one keeps the rest") {
  std::vector<RoutingRule> rules = {Rule(1, 0, 4999, "shard_1"), Rule(2, 1000, 2000, "shard_3")};
  FlatMap flat = Flatten(rules, At(10));
  std::vector<model::Segment> want = {
      {0, 999, "shard_1"}, {1000, 2000, "shard_3"}, {2001, 4999, "shard_1"}};
  CHECK(flat.segments == want);
  CHECK_FALSE(flat.next_change.has_value());
}

TEST_CASE("an expired rule disappears and uncovers the rules it shadowed") {
  std::vector<RoutingRule> rules = {Rule(1, 0, 4999, "shard_1"),
                                    Rule(2, 1000, 2000, "shard_3", /*expires_s=*/3600)};
  FlatMap before = Flatten(rules, At(3599));
  CHECK(before.segments.size() == 3);
  REQUIRE(before.next_change.has_value());
  CHECK(*before.next_change == At(3600));
  FlatMap after = Flatten(rules, At(3600));
  CHECK(after.segments == std::vector<model::Segment>{{0, 4999, "shard_1"}});
  CHECK_FALSE(after.next_change.has_value());
}

TEST_CASE("touching pieces of the same shard are merged into one segment") {
  std::vector<RoutingRule> rules = {Rule(1, 0, 9, "a"), Rule(2, 10, 19, "a"), Rule(3, 5, 12, "a")};
  CHECK(Flatten(rules, At(0)).segments == std::vector<model::Segment>{{0, 19, "a"}});
}

TEST_CASE("rules at the ends of the int64 range flatten without overflow") {
  std::vector<RoutingRule> rules = {Rule(1, kMin, kMax, "all"), Rule(2, kMax, kMax, "top"),
                                    Rule(3, kMin, kMin + 1, "bottom")};
  std::vector<model::Segment> want = {
      {kMin, kMin + 1, "bottom"}, {kMin + 2, kMax - 1, "all"}, {kMax, kMax, "top"}};
  CHECK(Flatten(rules, At(0)).segments == want);
}

TEST_CASE("random rule sets flatten to what a per-key reading of the rules gives") {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 500; ++round) {
    std::vector<RoutingRule> rules;
    int n = int(rng() % 12);
    for (int i = 0; i < n; ++i) {
      int64_t a = int64_t(rng() % 61) - 30;
      int64_t b = a + int64_t(rng() % 20);
      std::optional<int64_t> expires;
      if (rng() % 3 == 0) expires = int64_t(rng() % 10) + 1;
      rules.push_back(Rule(uint64_t(i + 1), a, b, "s" + std::to_string(rng() % 3), expires));
    }
    WallTime now = At(int64_t(rng() % 12));
    FlatMap flat = Flatten(rules, now);
    CHECK(model::ValidateSegments(flat.segments).ok());
    for (size_t i = 1; i < flat.segments.size(); ++i) {
      bool touching = flat.segments[i - 1].hi + 1 == flat.segments[i].lo;
      CHECK_FALSE((touching && flat.segments[i - 1].shard == flat.segments[i].shard));
    }
    for (int64_t key = -35; key <= 55; ++key) {
      CHECK(Lookup(flat, key) == BruteForce(rules, key, now));
    }
  }
}

TEST_CASE("the map version grows with every rule change and every expiry, and only then") {
  RuleSet set{4, 3, {Rule(1, 0, 9, "a", /*expires_s=*/10), Rule(2, 5, 6, "b", /*expires_s=*/20)}};
  uint64_t start = MapVersion(set, At(0));
  CHECK(start > 0);
  CHECK(MapVersion(set, At(9)) == start);
  uint64_t first_expiry = MapVersion(set, At(10));
  CHECK(first_expiry > start);
  CHECK(MapVersion(set, At(15)) == first_expiry);
  uint64_t both = MapVersion(set, At(20));
  CHECK(both > first_expiry);
  RuleSet next = set;
  next.version = 5;
  next.rules.pop_back();
  CHECK(MapVersion(next, At(0)) > both);
}

TEST_CASE("a rule set survives encoding and decoding unchanged") {
  RuleSet set{7, 13, {Rule(3, -500, -1, "shard_2"), Rule(12, 1000, 2000, "shard_3", 4000)}};
  set.rules[1].reason = "move hot tenants";
  set.rules[1].created_by = "ops";
  auto decoded = DecodeRuleSet(EncodeRuleSet(set));
  REQUIRE(decoded.ok());
  CHECK(*decoded == set);
}

TEST_CASE("a rule without created_by, as older writers stored it, decodes with an empty author") {
  auto decoded = DecodeRuleSet(
      R"({"format":"shardgate-rules-1","version":1,"next_id":2,"rules":[{"id":1,"lo":1,)"
      R"("hi":5,"shard":"a","created_at_ms":0}]})");
  REQUIRE(decoded.ok());
  CHECK(decoded->rules[0].created_by == "");
}

TEST_CASE("a bad rule set document is refused with the field named") {
  struct Case {
    std::string json;
    std::string want;
  };
  std::vector<Case> cases = {
      {"<html>", "not valid JSON"},
      {"[]", "not a JSON object"},
      {R"({"version":1,"next_id":2,"rules":[]})", "format"},
      {R"({"format":"shardgate-rules-1","next_id":2,"rules":[]})", "version is missing"},
      {R"({"format":"shardgate-rules-1","version":1,"next_id":2,"rules":{}})", "not an array"},
      {R"({"format":"shardgate-rules-1","version":1,"next_id":2,"rules":[{"id":1,"lo":"5",)"
       R"("hi":9,"shard":"a","created_at_ms":0}]})",
       "rules[0].lo is not an integer"},
      {R"({"format":"shardgate-rules-1","version":1,"next_id":2,"rules":[{"id":1,"lo":9,)"
       R"("hi":5,"shard":"a","created_at_ms":0}]})",
       "lo 9 > hi 5"},
      {R"({"format":"shardgate-rules-1","version":1,"next_id":2,"rules":[{"id":1,"lo":1,)"
       R"("hi":5,"shard":"bad name","created_at_ms":0}]})",
       "rule 1: shard 'bad name'"},
      {R"({"format":"shardgate-rules-1","version":1,"next_id":2,"rules":[{"id":1,"lo":1,)"
       R"("hi":9223372036854775808,"shard":"a","created_at_ms":0}]})",
       "out of the signed 64-bit range"},
      {R"({"format":"shardgate-rules-1","version":1,"next_id":3,"rules":[{"id":2,"lo":1,)"
       R"("hi":5,"shard":"a","created_at_ms":0},{"id":2,"lo":1,"hi":5,"shard":"a",)"
       R"("created_at_ms":0}]})",
       "unique and increasing"},
      {R"({"format":"shardgate-rules-1","version":1,"next_id":2,"rules":[{"id":1,"lo":1,)"
       R"("hi":5,"shard":"a","created_at_ms":0,"created_by":7}]})",
       "rules[0].created_by is not a string"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.json);
    auto decoded = DecodeRuleSet(c.json);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == Code::kProtocol);
    CHECK(decoded.status().message().find(c.want) != std::string::npos);
  }
}

}  // namespace
}  // namespace shardgate::controller
