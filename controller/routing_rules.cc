// Routing rules: validation, flattening (newest unexpired rule wins per key) and the KV JSON form.
#include "controller/routing_rules.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace shardgate::controller {
namespace {

using Json = nlohmann::json;

// Boundaries are lo and hi + 1 of each rule; hi may be INT64_MAX, so they need one more bit.
__extension__ typedef __int128 Wide;

int64_t ToMillis(WallTime t) {
  return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
}
WallTime FromMillis(int64_t ms) { return WallTime(Millis(ms)); }

std::string RuleName(const RoutingRule& rule) { return "rule " + std::to_string(rule.id); }

// Appends [lo, hi] -> shard, merging with the previous segment when they touch and agree.
void Append(std::vector<model::Segment>& out, int64_t lo, int64_t hi, const std::string& shard) {
  if (!out.empty() && out.back().shard == shard && Wide(out.back().hi) + 1 == Wide(lo)) {
    out.back().hi = hi;
    return;
  }
  out.push_back({lo, hi, shard});
}

}  // namespace

Status ValidateRule(const RoutingRule& rule) {
  if (rule.id == 0) return InvalidArgument("rule id 0: ids start at 1");
  if (rule.lo > rule.hi) {
    return InvalidArgument(RuleName(rule) + ": lo " + std::to_string(rule.lo) + " > hi " +
                           std::to_string(rule.hi));
  }
  if (!model::IsShardName(rule.shard)) {
    return InvalidArgument(RuleName(rule) + ": shard '" + rule.shard +
                           "' must match [A-Za-z0-9_.-]+ (at most 128 bytes)");
  }
  if (rule.expires_at && *rule.expires_at <= rule.created_at) {
    return InvalidArgument(RuleName(rule) + ": expires_at is not after created_at");
  }
  return Status::Ok();
}

Status ValidateRuleSet(const RuleSet& set) {
  uint64_t previous = 0;
  for (const RoutingRule& rule : set.rules) {
    RETURN_IF_ERROR(ValidateRule(rule));
    if (rule.id <= previous) {
      return InvalidArgument(RuleName(rule) + ": ids must be unique and increasing");
    }
    if (rule.id >= set.next_id) {
      return InvalidArgument(RuleName(rule) + ": id is not below next_id " +
                             std::to_string(set.next_id));
    }
    previous = rule.id;
  }
  return Status::Ok();
}

bool Expired(const RoutingRule& rule, WallTime now) {
  return rule.expires_at.has_value() && *rule.expires_at <= now;
}

FlatMap Flatten(const std::vector<RoutingRule>& rules, WallTime now) {
  // Sweep over the rule boundaries: between two consecutive boundaries the same rules are
  // active, and the newest of them (the largest index, as rules are in id order) owns the piece.
  struct Event {
    Wide at;
    bool start;
    size_t rule;
  };
  FlatMap flat;
  std::vector<Event> events;
  events.reserve(rules.size() * 2);
  for (size_t i = 0; i < rules.size(); ++i) {
    const RoutingRule& rule = rules[i];
    if (Expired(rule, now)) continue;
    if (rule.expires_at && (!flat.next_change || *rule.expires_at < *flat.next_change)) {
      flat.next_change = rule.expires_at;
    }
    events.push_back({Wide(rule.lo), true, i});
    events.push_back({Wide(rule.hi) + 1, false, i});
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.at < b.at; });
  std::set<size_t> active;
  for (size_t e = 0; e < events.size();) {
    Wide at = events[e].at;
    for (; e < events.size() && events[e].at == at; ++e) {
      if (events[e].start) {
        active.insert(events[e].rule);
      } else {
        active.erase(events[e].rule);
      }
    }
    if (active.empty() || e == events.size()) continue;
    const RoutingRule& owner = rules[*active.rbegin()];
    Append(flat.segments, int64_t(at), int64_t(events[e].at - 1), owner.shard);
  }
  return flat;
}

uint64_t MapVersion(const RuleSet& set, WallTime now) {
  constexpr uint64_t kExpiryBits = 24;
  constexpr uint64_t kMaxExpired = (uint64_t{1} << kExpiryBits) - 1;
  uint64_t expired = 0;
  for (const RoutingRule& rule : set.rules) expired += Expired(rule, now) ? 1 : 0;
  return ((set.version + 1) << kExpiryBits) | std::min(expired, kMaxExpired);
}

std::string EncodeRuleSet(const RuleSet& set) {
  Json rules = Json::array();
  for (const RoutingRule& rule : set.rules) {
    Json r = {{"id", rule.id},
              {"lo", rule.lo},
              {"hi", rule.hi},
              {"shard", rule.shard},
              {"created_at_ms", ToMillis(rule.created_at)},
              {"reason", rule.reason},
              {"created_by", rule.created_by}};
    r["expires_at_ms"] = rule.expires_at ? Json(ToMillis(*rule.expires_at)) : Json(nullptr);
    rules.push_back(std::move(r));
  }
  Json doc = {{"format", "shardgate-rules-1"},
              {"version", set.version},
              {"next_id", set.next_id},
              {"rules", std::move(rules)}};
  return doc.dump();
}

namespace {

// Field readers for DecodeRuleSet: each returns kProtocol naming `where` + the field.
Result<const Json*> Field(const Json& object, const char* name, const std::string& where) {
  auto it = object.find(name);
  if (it == object.end()) return ProtocolError(where + "." + name + " is missing");
  return &*it;
}

Result<uint64_t> Unsigned(const Json& object, const char* name, const std::string& where) {
  ASSIGN_OR_RETURN(const Json* field, Field(object, name, where));
  if (!field->is_number_unsigned()) {
    return ProtocolError(where + "." + name + " is not an unsigned integer");
  }
  return field->get<uint64_t>();
}

Result<int64_t> Signed(const Json& object, const char* name, const std::string& where) {
  ASSIGN_OR_RETURN(const Json* field, Field(object, name, where));
  const Json& value = *field;
  if (value.is_number_unsigned()) {
    if (value.get<uint64_t>() > uint64_t(INT64_MAX)) {
      return ProtocolError(where + "." + name + " is out of the signed 64-bit range");
    }
    return int64_t(value.get<uint64_t>());
  }
  if (!value.is_number_integer()) return ProtocolError(where + "." + name + " is not an integer");
  return value.get<int64_t>();
}

Result<RoutingRule> DecodeRule(const Json& r, const std::string& where) {
  if (!r.is_object()) return ProtocolError(where + " is not an object");
  RoutingRule rule;
  ASSIGN_OR_RETURN(rule.id, Unsigned(r, "id", where));
  ASSIGN_OR_RETURN(rule.lo, Signed(r, "lo", where));
  ASSIGN_OR_RETURN(rule.hi, Signed(r, "hi", where));
  ASSIGN_OR_RETURN(const Json* shard, Field(r, "shard", where));
  if (!shard->is_string()) return ProtocolError(where + ".shard is not a string");
  rule.shard = shard->get<std::string>();
  ASSIGN_OR_RETURN(int64_t created_ms, Signed(r, "created_at_ms", where));
  rule.created_at = FromMillis(created_ms);
  auto expires = r.find("expires_at_ms");
  if (expires != r.end() && !expires->is_null()) {
    ASSIGN_OR_RETURN(int64_t expires_ms, Signed(r, "expires_at_ms", where));
    rule.expires_at = FromMillis(expires_ms);
  }
  auto reason = r.find("reason");
  if (reason != r.end() && !reason->is_null()) {
    if (!reason->is_string()) return ProtocolError(where + ".reason is not a string");
    rule.reason = reason->get<std::string>();
  }
  // Optional: documents written before rules recorded their author lack it.
  auto created_by = r.find("created_by");
  if (created_by != r.end() && !created_by->is_null()) {
    if (!created_by->is_string()) return ProtocolError(where + ".created_by is not a string");
    rule.created_by = created_by->get<std::string>();
  }
  return rule;
}

}  // namespace

Result<RuleSet> DecodeRuleSet(std::string_view json) {
  Json doc = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return ProtocolError("rule set: not valid JSON");
  if (!doc.is_object()) return ProtocolError("rule set: not a JSON object");
  auto format = doc.find("format");
  if (format == doc.end() || *format != "shardgate-rules-1") {
    return ProtocolError("rule set: format is not \"shardgate-rules-1\"");
  }
  RuleSet set;
  ASSIGN_OR_RETURN(set.version, Unsigned(doc, "version", "rule set"));
  ASSIGN_OR_RETURN(set.next_id, Unsigned(doc, "next_id", "rule set"));
  ASSIGN_OR_RETURN(const Json* rules, Field(doc, "rules", "rule set"));
  if (!rules->is_array()) return ProtocolError("rule set.rules is not an array");
  for (size_t i = 0; i < rules->size(); ++i) {
    ASSIGN_OR_RETURN(RoutingRule rule,
                     DecodeRule((*rules)[i], "rule set.rules[" + std::to_string(i) + "]"));
    set.rules.push_back(std::move(rule));
  }
  Status valid = ValidateRuleSet(set);
  if (!valid.ok()) return ProtocolError("rule set: " + valid.message());
  return set;
}

}  // namespace shardgate::controller
