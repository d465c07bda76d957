// The admin API's changes to a rule set as pure functions: add, delete, replace, roll back.
// Each returns the next set: rules expired at `now` pruned, version one higher.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "controller/admin_error.h"
#include "controller/admin_request.h"
#include "controller/routing_rules.h"

namespace shardgate::controller {

// `set` plus one rule from `input` (id = set.next_id, created_at = now, expires_at = now + ttl,
// created_by = who), which is the last rule of the result.
// REQUIRES: `input` as ParseRuleInput returns it (valid range, shard and ttl).
RuleSet AddRule(const RuleSet& set, const RuleInput& input, WallTime now, std::string_view who);

struct Deleted {
  RuleSet next;
  RoutingRule rule;  // the rule deleted
};
// `set` without rule `id`. Errors: 404 unknown_rule when no unexpired rule has that id.
AdminResult<Deleted> DeleteRule(const RuleSet& set, uint64_t id, WallTime now);

// A set whose rules are `inputs`, in order (a later input shadows an earlier one where they
// overlap), with new ids from set.next_id on.
RuleSet ReplaceRules(const RuleSet& set, const std::vector<RuleInput>& inputs, WallTime now,
                     std::string_view who);

// `old`'s rules (those still unexpired at `now`, ids and times unchanged) as the version after
// `current`; next_id is the larger of both, so an id is never given out twice.
RuleSet RollbackTo(const RuleSet& current, const RuleSet& old, WallTime now);

}  // namespace shardgate::controller
