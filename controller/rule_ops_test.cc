// Rule set changes: ids, versions, expiry pruning, authorship and rollback.
#include "controller/rule_ops.h"

#include <doctest/doctest.h>

namespace shardgate::controller {
namespace {

WallTime At(int64_t seconds) { return WallTime(std::chrono::seconds(seconds)); }

RuleInput Input(int64_t lo, int64_t hi, std::string shard, std::optional<int64_t> ttl = {}) {
  return RuleInput{lo, hi, std::move(shard), ttl, "why", false};
}

// Version 4: rule 3 permanent, rule 5 expiring at t=100; next id 6.
RuleSet Current() {
  RuleSet set{4, 6, {}};
  set.rules.push_back({3, 0, 99, "a", At(0), std::nullopt, "", "alice"});
  set.rules.push_back({5, 10, 19, "b", At(0), At(100), "", "bob"});
  return set;
}

TEST_CASE("adding a rule gives it the next id, the time, its expiry and author") {
  RuleSet next = AddRule(Current(), Input(50, 60, "c", 3600), At(10), "carol");
  CHECK(next.version == 5);
  CHECK(next.next_id == 7);
  REQUIRE(next.rules.size() == 3);
  CHECK(next.rules.back() == RoutingRule{6, 50, 60, "c", At(10), At(3610), "why", "carol"});
  CHECK(ValidateRuleSet(next).ok());
  CHECK_FALSE(AddRule(Current(), Input(1, 1, "c"), At(10), "x").rules.back().expires_at);
}

TEST_CASE("every change prunes the rules that have expired by then") {
  RuleSet added = AddRule(Current(), Input(50, 60, "c"), At(100), "carol");
  REQUIRE(added.rules.size() == 2);
  CHECK(added.rules[0].id == 3);
  CHECK(added.rules[1].id == 6);
  AdminResult<Deleted> deleted = DeleteRule(Current(), 3, At(100));
  REQUIRE(deleted.ok());
  CHECK(deleted->next.rules.empty());
}

TEST_CASE("deleting a rule returns it and the set without it") {
  AdminResult<Deleted> deleted = DeleteRule(Current(), 5, At(10));
  REQUIRE(deleted.ok());
  CHECK(deleted->rule.id == 5);
  CHECK(deleted->next.version == 5);
  CHECK(deleted->next.next_id == 6);
  REQUIRE(deleted->next.rules.size() == 1);
  CHECK(deleted->next.rules[0].id == 3);
}

TEST_CASE("deleting an unknown or expired rule is unknown_rule") {
  for (auto [id, now] : {std::pair<uint64_t, int64_t>{4, 10}, {99, 10}, {5, 100}}) {
    CAPTURE(id);
    AdminResult<Deleted> deleted = DeleteRule(Current(), id, At(now));
    REQUIRE_FALSE(deleted.ok());
    CHECK(deleted.error().status == 404);
    CHECK(deleted.error().code == "unknown_rule");
  }
}

TEST_CASE("replacing the rules gives new ids in input order") {
  RuleSet next = ReplaceRules(Current(), {Input(0, 9, "x"), Input(5, 5, "y", 60)}, At(10), "d");
  CHECK(next.version == 5);
  CHECK(next.next_id == 8);
  REQUIRE(next.rules.size() == 2);
  CHECK(next.rules[0] == RoutingRule{6, 0, 9, "x", At(10), std::nullopt, "why", "d"});
  CHECK(next.rules[1] == RoutingRule{7, 5, 5, "y", At(10), At(70), "why", "d"});
  RuleSet empty = ReplaceRules(Current(), {}, At(10), "d");
  CHECK(empty.rules.empty());
  CHECK(empty.version == 5);
}

TEST_CASE("a rollback restores the old rules as the next version and never reuses an id") {
  RuleSet old{1, 4, {}};
  old.rules.push_back({1, 0, 9, "x", At(0), std::nullopt, "", ""});
  old.rules.push_back({2, 0, 9, "y", At(0), At(50), "", ""});
  RuleSet next = RollbackTo(Current(), old, At(60));
  CHECK(next.version == 5);
  CHECK(next.next_id == 6);
  REQUIRE(next.rules.size() == 1);
  CHECK(next.rules[0] == old.rules[0]);
  RuleSet newer_old{1, 9, {}};
  CHECK(RollbackTo(Current(), newer_old, At(60)).next_id == 9);
}

}  // namespace
}  // namespace shardgate::controller
