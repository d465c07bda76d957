// Consul KV key names and the seed rule set (see kv_layout.h).
#include "controller/kv_layout.h"

namespace shardgate::controller {

std::string ClusterPrefix(std::string_view cluster) {
  return "shardgate/" + std::string(cluster) + "/";
}

std::string RulesKey(std::string_view cluster) { return ClusterPrefix(cluster) + "routing/rules"; }

std::string ControllersPrefix(std::string_view cluster) {
  return ClusterPrefix(cluster) + "controllers/";
}

std::string ControllerReportKey(std::string_view cluster, std::string_view controller_id) {
  return ControllersPrefix(cluster) + std::string(controller_id);
}

RuleSet RuleSetFromSegments(const std::vector<model::Segment>& segments, WallTime created_at,
                            std::string_view reason) {
  RuleSet set;
  set.version = 1;
  for (const model::Segment& seg : segments) {
    RoutingRule rule;
    rule.id = set.next_id++;
    rule.lo = seg.lo;
    rule.hi = seg.hi;
    rule.shard = seg.shard;
    rule.created_at = created_at;
    rule.reason = std::string(reason);
    set.rules.push_back(std::move(rule));
  }
  return set;
}

}  // namespace shardgate::controller
