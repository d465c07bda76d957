// Decoding and validation of agent service and check definitions, with
// Consul's 400 texts and its defaults (check IDs, names, initial critical status).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/status.h"
#include "dev/consul/types.h"

namespace shardgate::consul::dev {

struct ServiceDefinition {
  Service service;
  std::vector<Check> checks;
};

// Body of PUT /v1/agent/service/register. InvalidArgument carries the full 400 body
// ("Missing service name", "Invalid check: ...", "Invalid Service Meta: ...", "Request decode
// failed: ...").
Result<ServiceDefinition> DecodeServiceDefinition(const std::string& body);

// Body of PUT /v1/agent/check/register (a TTL check, optionally bound to a ServiceID);
// InvalidArgument carries the 400 body ("Missing check name", "Bad check status", ...).
Result<Check> DecodeCheckDefinition(const std::string& body);

}  // namespace shardgate::consul::dev
