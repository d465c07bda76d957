// One controller bench stack: the dev Consul with a synthetic fleet and its rules, an HAProxy
// whose shard backends start empty, and shardgate-controller filling them; plus the checks the
// bench uses to tell that the controller applied the fleet.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "bench/controller_stack.h"
#include "bench/fleet_player.h"
#include "common/status.h"
#include "consul/client.h"
#include "consul/curl_transport.h"
#include "tests/harness/consul_dev_process.h"
#include "tests/harness/temp_dir.h"

namespace shardgate::bench {

// Members are destroyed bottom-up: the controller stops first, Consul last.
struct ControllerBenchStack {
  std::unique_ptr<harness::TempDir> dir;
  std::unique_ptr<harness::ConsulDev> consul_dev;
  std::unique_ptr<consul::CurlTransport> transport;
  std::unique_ptr<consul::Client> client;
  std::unique_ptr<FleetPlayer> fleet;
  std::unique_ptr<TimedHaproxy> haproxy;
  std::unique_ptr<ControllerProcess> controller;
  std::chrono::steady_clock::time_point controller_started;
};

// Starts Consul, publishes the fleet and `segments` rules, starts HAProxy with empty shard
// backends, then the controller, and waits until /readyz says ready.
Result<std::unique_ptr<ControllerBenchStack>> StartControllerBenchStack(const FleetShape& shape,
                                                                        int segments);

// The shard backends with no server: what the controller fills at run time.
std::vector<haproxy::ShardSpec> EmptyShards(const FleetPlayer& fleet);

// True when HAProxy shows every node of the fleet in both backends of its shard, each passing
// replica ready at its weight in `<shard>_ro` and each primary ready in `<shard>_rw`.
bool ShowsFleet(const ServersLook& look, const FleetPlayer& fleet);

// The look the changed replica's `<shard>_ro` server must reach for `state`: maint when
// critical, else ready at the state's weight.
bool ShowsState(const ServerLook& look, const agent::NodeState& state);

// Polls HAProxy every `every` until ShowsFleet and the range map runs a version, or `timeout`.
// Errors: kTimeout.
Status WaitFleetApplied(ControllerBenchStack& stack, std::chrono::milliseconds timeout,
                        std::chrono::milliseconds every = std::chrono::milliseconds(5));

}  // namespace shardgate::bench
