// Add, delete, replace and roll back rules (see rule_ops.h).
#include "controller/rule_ops.h"

#include <algorithm>
#include <string>

namespace shardgate::controller {
namespace {

// The set's rules still live at `now`, under the next version.
RuleSet Pruned(const RuleSet& set, WallTime now) {
  RuleSet next{set.version + 1, set.next_id, {}};
  next.rules.reserve(set.rules.size() + 1);
  for (const RoutingRule& rule : set.rules) {
    if (!Expired(rule, now)) next.rules.push_back(rule);
  }
  return next;
}

// Appends the rule `input` describes, with the set's next id.
void Append(RuleSet& set, const RuleInput& input, WallTime now, std::string_view who) {
  RoutingRule rule;
  rule.id = set.next_id++;
  rule.lo = input.lo;
  rule.hi = input.hi;
  rule.shard = input.shard;
  rule.created_at = now;
  if (input.ttl_seconds) rule.expires_at = now + std::chrono::seconds(*input.ttl_seconds);
  rule.reason = input.reason;
  rule.created_by = std::string(who);
  set.rules.push_back(std::move(rule));
}

}  // namespace

RuleSet AddRule(const RuleSet& set, const RuleInput& input, WallTime now, std::string_view who) {
  RuleSet next = Pruned(set, now);
  Append(next, input, now, who);
  return next;
}

AdminResult<Deleted> DeleteRule(const RuleSet& set, uint64_t id, WallTime now) {
  RuleSet next = Pruned(set, now);
  auto it = std::find_if(next.rules.begin(), next.rules.end(),
                         [id](const RoutingRule& rule) { return rule.id == id; });
  if (it == next.rules.end()) {
    return AdminError{404, "unknown_rule",
                      "no rule " + std::to_string(id) + " in version " +
                          std::to_string(set.version) + " (or it has expired)",
                      ""};
  }
  RoutingRule rule = std::move(*it);
  next.rules.erase(it);
  return Deleted{std::move(next), std::move(rule)};
}

RuleSet ReplaceRules(const RuleSet& set, const std::vector<RuleInput>& inputs, WallTime now,
                     std::string_view who) {
  RuleSet next{set.version + 1, set.next_id, {}};
  next.rules.reserve(inputs.size());
  for (const RuleInput& input : inputs) Append(next, input, now, who);
  return next;
}

RuleSet RollbackTo(const RuleSet& current, const RuleSet& old, WallTime now) {
  RuleSet next = Pruned(old, now);
  next.version = current.version + 1;
  next.next_id = std::max(current.next_id, old.next_id);
  return next;
}

}  // namespace shardgate::controller
