// The cluster's nodes as Consul's health endpoint reports them, decoded into node records (pure).
#pragma once

#include <string>
#include <vector>

#include "consul/types.h"
#include "model/node_record.h"

namespace shardgate::controller {

struct FleetView {
  std::vector<model::NodeRecord> nodes;
  // Instances that could not be decoded, as "service <id>: <what is wrong>": they are left out
  // (never guessed at), logged and counted.
  std::vector<std::string> skipped;
};

// Decodes every instance of `/v1/health/service/<name>`. An instance's health is the worst of
// all its checks, node checks and Consul's maintenance check included (what `?passing` would
// use); its address is the service address, or the node's when the service has none.
FleetView DecodeFleet(const std::vector<consul::ServiceEntry>& entries);

}  // namespace shardgate::controller
