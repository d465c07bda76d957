// Setting up a controller bench stack and telling when the fleet is applied (see
// controller_bench_stack.h).
#include "bench/controller_bench_stack.h"

#include <thread>

namespace shardgate::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

Status StartConsul(ControllerBenchStack& stack) {
  ASSIGN_OR_RETURN(stack.consul_dev, harness::ConsulDev::Start({}));
  consul::ClientConfig config;
  config.address = stack.consul_dev->url();
  config.request_timeout = std::chrono::seconds(5);
  ASSIGN_OR_RETURN(stack.transport,
                   consul::CurlTransport::Create({config.address, "", milliseconds(1000)}));
  stack.client = std::make_unique<consul::Client>(*stack.transport, config);
  return Status::Ok();
}

Status StartHaproxy(ControllerBenchStack& stack) {
  ASSIGN_OR_RETURN(HaproxyLayout layout, MakeHaproxyLayout(stack.dir->path() / "haproxy"));
  ASSIGN_OR_RETURN(std::string config, RenderBenchConfig(layout, EmptyShards(*stack.fleet)));
  stack.haproxy = std::make_unique<TimedHaproxy>(std::move(layout));
  RETURN_IF_ERROR(stack.haproxy->WriteConfig(config));
  return stack.haproxy->Start(milliseconds(20000)).status();
}

}  // namespace

std::vector<haproxy::ShardSpec> EmptyShards(const FleetPlayer& fleet) {
  std::vector<haproxy::ShardSpec> shards;
  for (const std::string& name : fleet.shard_names()) shards.push_back({name, {}, {}});
  return shards;
}

Result<std::unique_ptr<ControllerBenchStack>> StartControllerBenchStack(const FleetShape& shape,
                                                                        int segments) {
  auto stack = std::make_unique<ControllerBenchStack>();
  ASSIGN_OR_RETURN(stack->dir, harness::TempDir::Create("shardgate-controller-bench"));
  RETURN_IF_ERROR(StartConsul(*stack));
  stack->fleet = std::make_unique<FleetPlayer>(*stack->client, shape);
  RETURN_IF_ERROR(stack->fleet->PublishAll());
  RETURN_IF_ERROR(SeedRules(*stack->client, shape.cluster,
                            DealtSegments(segments, stack->fleet->shard_names())));
  RETURN_IF_ERROR(StartHaproxy(*stack));
  ControllerProcess::Options options;
  options.cluster = shape.cluster;
  options.consul_address = stack->consul_dev->address();
  options.haproxy = &stack->haproxy->layout();
  options.log_path = stack->dir->path() / "controller.log";
  stack->controller_started = Clock::now();
  ASSIGN_OR_RETURN(stack->controller, ControllerProcess::Start(options));
  RETURN_IF_ERROR(stack->controller->WaitReady(milliseconds(60000)));
  return stack;
}

bool ShowsFleet(const ServersLook& look, const FleetPlayer& fleet) {
  for (const PlayedNode& node : fleet.nodes()) {
    auto rw = look.find({node.config.shard + "_rw", node.config.node});
    auto ro = look.find({node.config.shard + "_ro", node.config.node});
    if (rw == look.end() || ro == look.end()) return false;
    if (node.state.role == model::Role::kPrimary && rw->second.maint) return false;
    if (node.state.role == model::Role::kReplica && !ShowsState(ro->second, node.state)) {
      return false;
    }
  }
  return true;
}

bool ShowsState(const ServerLook& look, const agent::NodeState& state) {
  if (state.status == model::Health::kCritical) return look.maint;
  return !look.maint && look.weight == state.weight;
}

Status WaitFleetApplied(ControllerBenchStack& stack, milliseconds timeout, milliseconds every) {
  const Clock::time_point deadline = Clock::now() + timeout;
  haproxy::RuntimeClient& client = stack.haproxy->client();
  while (Clock::now() < deadline) {
    Result<ServersLook> look = LookAtServers(client);
    Result<uint64_t> version = client.RangeMapVersion(stack.haproxy->layout().ranges_map);
    if (look.ok() && ShowsFleet(*look, *stack.fleet) && version.ok() && *version > 0) {
      return Status::Ok();
    }
    std::this_thread::sleep_for(every);
  }
  return Timeout("HAProxy did not show the whole fleet and a range map within " +
                 std::to_string(timeout.count()) + " ms; see " +
                 stack.controller->log_path().string());
}

}  // namespace shardgate::bench
