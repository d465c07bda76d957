// Waiting until service instances pass in Consul: the dev stack's "every agent is ready".
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "common/status.h"
#include "consul/types.h"

namespace shardgate::harness {

struct ExpectedInstance {
  std::string label;       // named in messages, e.g. "shard_1/n2"
  std::string service_id;  // the Consul service ID, e.g. "demo-shard_1-n2"
};

// One line per instance of `expected` that is not passing in `entries` (a reply of
// /v1/health/service/<name>): "shard_1/n2 (not registered)" or "shard_1/n2 (critical: <output>)".
// An instance passes when it is registered and every one of its checks (node checks included)
// is passing, as Consul's `?passing` decides. Empty when all pass.
std::vector<std::string> NotPassing(const std::vector<consul::ServiceEntry>& entries,
                                    const std::vector<ExpectedInstance>& expected);

// Polls /v1/health/service/<service> on `address` ("127.0.0.1:<port>") until every instance of
// `expected` passes. kTimeout after `timeout`, naming the instances that do not (see NotPassing)
// or the last error reading Consul. Blocks the caller.
Status WaitInstancesPassing(const std::string& address, const std::string& service,
                            const std::vector<ExpectedInstance>& expected,
                            std::chrono::milliseconds timeout);

}  // namespace shardgate::harness
