// The admin API's JSON shapes (see admin_json.h).
#include "controller/admin_json.h"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace shardgate::controller {
namespace {

using Json = nlohmann::json;

Json OptionalShard(const std::optional<std::string>& shard) {
  return shard ? Json(*shard) : Json(nullptr);
}

}  // namespace

std::string FormatTime(WallTime t) {
  using std::chrono::floor;
  auto ms = floor<Millis>(t.time_since_epoch());
  auto days = floor<std::chrono::days>(ms);
  std::chrono::year_month_day date{std::chrono::sys_days(days)};
  std::chrono::hh_mm_ss<Millis> time(ms - days);
  char out[40];
  std::snprintf(out, sizeof out, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(date.year()),
                unsigned(date.month()), unsigned(date.day()), int(time.hours().count()),
                int(time.minutes().count()), int(time.seconds().count()),
                int(time.subseconds().count()));
  return out;
}

Json TimeJson(std::optional<WallTime> t) { return t ? Json(FormatTime(*t)) : Json(nullptr); }

Json RuleJson(const RoutingRule& rule) {
  return Json{{"id", rule.id},
              {"lo", rule.lo},
              {"hi", rule.hi},
              {"partition_key_range", std::to_string(rule.lo) + "-" + std::to_string(rule.hi)},
              {"target_backend", rule.shard},
              {"created_at", FormatTime(rule.created_at)},
              {"expires_at", TimeJson(rule.expires_at)},
              {"created_by", rule.created_by},
              {"reason", rule.reason}};
}

Json ChangesJson(const std::vector<RangeChange>& changes, size_t cap) {
  Json out = Json::array();
  for (size_t i = 0; i < changes.size() && i < cap; ++i) {
    const RangeChange& c = changes[i];
    out.push_back(
        {{"lo", c.lo}, {"hi", c.hi}, {"from", OptionalShard(c.from)}, {"to", OptionalShard(c.to)}});
  }
  return out;
}

Json EffectiveJson(const FlatMap& map) {
  Json out = Json::array();
  for (const model::Segment& s : map.segments) {
    out.push_back({{"lo", s.lo}, {"hi", s.hi}, {"target_backend", s.shard}});
  }
  return out;
}

}  // namespace shardgate::controller
