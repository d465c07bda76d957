// Routing rules: the operator's "keys lo..hi go to shard S (until T)" records, and their
// flattening into the non-overlapping segments HAProxy's range map carries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "model/range.h"

namespace shardgate::controller {

// One rule. Rules never change once written: a new rule shadows older ones where they overlap,
// and deleting a rule uncovers what it shadowed.
struct RoutingRule {
  uint64_t id = 0;  // unique in its rule set; a larger id is a newer rule
  int64_t lo = 0;   // inclusive
  int64_t hi = 0;   // inclusive
  std::string shard;
  WallTime created_at{};
  std::optional<WallTime> expires_at;  // none: permanent
  std::string reason;                  // free text from the operator, may be empty
  std::string created_by;              // who wrote it (an admin token's name), may be empty
  bool operator==(const RoutingRule&) const = default;
};

// The cluster's rules as stored in Consul KV (docs/interfaces.md). `version` grows by one with
// every change; `next_id` is the id the next rule gets. Rules are kept in id order.
struct RuleSet {
  uint64_t version = 0;
  uint64_t next_id = 1;
  std::vector<RoutingRule> rules;
  bool operator==(const RuleSet&) const = default;
};

// Checks one rule: id > 0, lo <= hi, a valid shard name, expiry after creation.
// Errors: kInvalidArgument naming the rule id and the field.
Status ValidateRule(const RoutingRule& rule);

// Checks a whole set: every rule valid, ids strictly increasing and below next_id.
Status ValidateRuleSet(const RuleSet& set);

// True when the rule has an expiry at or before `now`.
bool Expired(const RoutingRule& rule, WallTime now);

// The effective map at one instant.
struct FlatMap {
  std::vector<model::Segment>
      segments;  // sorted, non-overlapping; touching same-shard pieces merged
  // The earliest expiry among the rules still live at `now`: the map may change by itself then.
  std::optional<WallTime> next_change;
};

// Each key goes to the newest unexpired rule that covers it; keys no rule covers are absent.
// O(n log n) in the number of rules. REQUIRES: ValidateRuleSet ok for the rules' set.
FlatMap Flatten(const std::vector<RoutingRule>& rules, WallTime now);

// The version of the range map HAProxy runs for `set` at `now`: ((set.version + 1) << 24) plus
// the number of the set's rules expired by then (at most 2^24 - 1). Every controller computes
// the same number from the same rules without talking to the others, so a fleet can be seen to
// run one version; it grows with every rule change and with every expiry, which changes the map
// without a write to Consul.
uint64_t MapVersion(const RuleSet& set, WallTime now);

// JSON form stored in Consul KV:
// {"format":"shardgate-rules-1","version":7,"next_id":13,"rules":[{"id":12,"lo":1000,"hi":2000,
//  "shard":"shard_3","created_at_ms":1700000000000,"expires_at_ms":1700003600000,"reason":"",
//  "created_by":"ops"}]}
// Unknown fields are ignored (a newer writer may add some); missing or mistyped ones are not.
std::string EncodeRuleSet(const RuleSet& set);

// Errors: kProtocol naming the field for anything that is not the format above or that fails
// ValidateRuleSet (a bad document must never reach HAProxy).
Result<RuleSet> DecodeRuleSet(std::string_view json);

}  // namespace shardgate::controller
