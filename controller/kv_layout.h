// Where the controller's data lives in Consul KV (docs/interfaces.md, "Consul KV layout").
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "controller/routing_rules.h"
#include "model/range.h"

namespace shardgate::controller {

// "shardgate/<cluster>/": everything shardgate keeps for one cluster.
std::string ClusterPrefix(std::string_view cluster);
// "shardgate/<cluster>/routing/rules": the RuleSet document (EncodeRuleSet), written with CAS.
std::string RulesKey(std::string_view cluster);
// "shardgate/<cluster>/controllers/": one report per controller (what it applied where).
std::string ControllersPrefix(std::string_view cluster);
// "shardgate/<cluster>/controllers/<controller_id>".
std::string ControllerReportKey(std::string_view cluster, std::string_view controller_id);

// A first rule set that routes exactly `segments` (permanent rules, one per segment, ids from 1,
// version 1), e.g. to seed a new cluster from a map file. REQUIRES: ValidateSegments ok.
RuleSet RuleSetFromSegments(const std::vector<model::Segment>& segments, WallTime created_at,
                            std::string_view reason);

}  // namespace shardgate::controller
