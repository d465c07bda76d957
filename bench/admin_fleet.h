// The admin bench's shardgate side: PostgreSQL shards with their agents and a dev Consul (the
// harness stack), several HAProxys with the router that share one range map file, and one
// shardgate-controller (serving the admin API) for the first N of them.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "haproxy/config.h"
#include "haproxy/runtime_socket.h"
#include "model/range.h"
#include "tests/harness/stack.h"

namespace shardgate::bench {

struct AdminFleetOptions {
  std::vector<std::string> shards = {"shard_1", "shard_2"};  // one primary each
  int haproxys = 3;
  std::string cluster = "adminbench";
  std::vector<model::Segment> initial;  // seeded into Consul as the cluster's first rules
};

// One router HAProxy of the fleet.
struct FleetHaproxy {
  harness::HaproxyProcess* process = nullptr;  // owned by the stack
  haproxy::ConfigSpec spec;
};

// Not thread-safe. Destroyed in reverse: controller, HAProxys, agents, Consul, PostgreSQL.
class AdminFleet {
 public:
  static Result<std::unique_ptr<AdminFleet>> Start(AdminFleetOptions options);

  // Stops the running controller (if any) and starts one for the first `count` HAProxys, with
  // the same controller id each time (so the fleet's reports in Consul name only it), and waits
  // until it is ready, every one of those HAProxys runs a range map and routes the first key of
  // each initial segment to its shard.
  Status StartController(int count);

  // The read-write router ports of the first `count` HAProxys.
  std::vector<int> RouterPorts(int count) const;
  // The port of the shard's primary. REQUIRES: the shard exists.
  int ShardPort(const std::string& shard);
  // The shard whose primary listens on `port`, or "" when none does.
  std::string ShardOfPort(int port);
  // The controller's admin API port. REQUIRES: StartController ran.
  int admin_port() const { return controller_->port(); }
  const std::string& ranges_map() const { return ranges_map_; }
  harness::HaproxyProcess& haproxy(int i) { return *haproxys_[i].process; }
  int haproxy_count() const { return static_cast<int>(haproxys_.size()); }
  harness::Stack& stack() { return *stack_; }

 private:
  explicit AdminFleet(AdminFleetOptions options) : options_(std::move(options)) {}
  Status StartHaproxy(int index);
  Status WaitMaps(int count);
  Status WaitRouting(int count);

  AdminFleetOptions options_;
  std::unique_ptr<harness::Stack> stack_;
  std::string ranges_map_;
  std::vector<FleetHaproxy> haproxys_;
  std::unique_ptr<harness::ControllerProcess> controller_;  // stopped before the stack
};

}  // namespace shardgate::bench
