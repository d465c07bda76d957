// JSON shapes shared by the admin API's handlers: Rule, Change, the effective map and times.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/clock.h"
#include "controller/map_diff.h"
#include "controller/routing_rules.h"

namespace shardgate::controller {

// RFC 3339 in UTC with milliseconds: "2026-11-30T15:54:19.123Z".
std::string FormatTime(WallTime t);
// FormatTime(*t), or null.
nlohmann::json TimeJson(std::optional<WallTime> t);

// {"id","lo","hi","partition_key_range":"<lo>-<hi>","target_backend","created_at",
//  "expires_at" (null when permanent),"created_by","reason"}
nlohmann::json RuleJson(const RoutingRule& rule);

// [{"lo","hi","from": shard|null,"to": shard|null}] of the first `cap` changes; the caller
// reports "change_truncated" as changes.size() > cap.
nlohmann::json ChangesJson(const std::vector<RangeChange>& changes, size_t cap);

// [{"lo","hi","target_backend"}] of the map's segments.
nlohmann::json EffectiveJson(const FlatMap& map);

}  // namespace shardgate::controller
