// The admin bench's fleet (see admin_fleet.h).
#include "bench/admin_fleet.h"

#include "bench/route_probe.h"
#include "controller/kv_layout.h"
#include "haproxy/runtime_client.h"
#include "tests/harness/eventually.h"
#include "tests/harness/ports.h"

namespace shardgate::bench {
namespace {

using std::chrono::milliseconds;

constexpr const char* kControllerId = "admin-bench";
constexpr milliseconds kReadyTimeout{30000};

}  // namespace

Result<std::unique_ptr<AdminFleet>> AdminFleet::Start(AdminFleetOptions options) {
  std::unique_ptr<AdminFleet> fleet(new AdminFleet(std::move(options)));
  harness::StackOptions so;
  so.shards = fleet->options_.shards;
  so.replicas = 0;
  so.haproxy = false;  // the bench starts its own HAProxys, several on one map
  so.consul = true;
  so.agents = true;
  so.cluster = fleet->options_.cluster;
  ASSIGN_OR_RETURN(fleet->stack_, harness::Stack::Start(so));
  fleet->ranges_map_ = (fleet->stack_->dir() / "shardgate_ranges.map").string();
  RETURN_IF_ERROR(model::ValidateSegments(fleet->options_.initial));
  RETURN_IF_ERROR(fleet->stack_->WriteRules(controller::RuleSetFromSegments(
      fleet->options_.initial, std::chrono::system_clock::now(), "admin bench initial map")));
  for (int i = 0; i < fleet->options_.haproxys; ++i) RETURN_IF_ERROR(fleet->StartHaproxy(i));
  return fleet;
}

// An HAProxy with the router and empty shard backends, as the controller expects them; the
// range map path is the fleet's one (the controller pushes one map path to every HAProxy).
Status AdminFleet::StartHaproxy(int index) {
  const std::filesystem::path dir = stack_->dir() / ("haproxy" + std::to_string(index + 1));
  std::filesystem::create_directories(dir);
  haproxy::ConfigSpec spec;
  spec.socket_path = (dir / "haproxy.sock").string();
  spec.lua_dir = (stack_->source_dir() / "lua").string();
  spec.ranges_map_path = ranges_map_;
  spec.cancel_map_path = (dir / "shardgate_cancel.map").string();
  for (const std::string& shard : options_.shards) spec.shards.push_back({shard, {}, {}});
  for (int* port : {&spec.rw_port, &spec.ro_port}) {
    ASSIGN_OR_RETURN(*port, harness::FreePort());
  }
  RETURN_IF_ERROR(haproxy::ValidateConfigSpec(spec));
  harness::HaproxyOptions ho;
  ho.dir = dir;
  ho.config_text = haproxy::RenderConfig(spec);
  ho.socket_path = spec.socket_path;
  ho.tcp_ports = {spec.rw_port, spec.ro_port};
  ho.files = {{spec.cancel_map_path, ""}};
  if (index == 0) ho.files.push_back({ranges_map_, ""});
  ASSIGN_OR_RETURN(std::unique_ptr<harness::HaproxyProcess> process,
                   harness::HaproxyProcess::Start(std::move(ho)));
  haproxys_.push_back({&stack_->Adopt(std::move(process)), std::move(spec)});
  return Status::Ok();
}

Status AdminFleet::StartController(int count) {
  if (count < 1 || count > haproxy_count()) return InvalidArgument("no such HAProxy count");
  if (controller_) RETURN_IF_ERROR(controller_->Stop());
  controller_.reset();
  harness::ControllerProcessOptions co;
  co.cluster = options_.cluster;
  co.consul_address = stack_->consul()->url();
  for (int i = 0; i < count; ++i) co.haproxy_sockets.push_back(haproxys_[i].spec.socket_path);
  co.ranges_map = ranges_map_;
  co.controller_id = kControllerId;
  co.log_path = stack_->dir() / ("controller-" + std::to_string(count) + ".log");
  co.env = {{"CONSUL_HTTP_TOKEN", ""}, {"CONSUL_HTTP_TOKEN_FILE", ""}};
  ASSIGN_OR_RETURN(controller_, harness::ControllerProcess::Start(std::move(co)));
  RETURN_IF_ERROR(controller_->WaitReady(kReadyTimeout));
  RETURN_IF_ERROR(WaitMaps(count));
  return WaitRouting(count);
}

// The servers the controller adds pass their health checks a little after it is ready; the
// first key of each initial segment must reach its shard through every router.
Status AdminFleet::WaitRouting(int count) {
  for (int port : RouterPorts(count)) {
    for (const model::Segment& segment : options_.initial) {
      RETURN_IF_ERROR(WaitRoutedTo(port, segment.lo, ShardPort(segment.shard), milliseconds(20),
                                   kReadyTimeout));
    }
  }
  return Status::Ok();
}

// /readyz says the first reconcile succeeded; a map version > 0 on each says it runs the map.
Status AdminFleet::WaitMaps(int count) {
  for (int i = 0; i < count; ++i) {
    haproxy::RuntimeClient client(haproxys_[i].process->socket());
    bool pushed = harness::Eventually(
        [&] {
          Result<uint64_t> version = client.RangeMapVersion(ranges_map_);
          return version.ok() && *version > 0;
        },
        kReadyTimeout);
    if (!pushed) return Timeout("HAProxy " + std::to_string(i + 1) + " runs no range map");
  }
  return Status::Ok();
}

std::vector<int> AdminFleet::RouterPorts(int count) const {
  std::vector<int> ports;
  for (int i = 0; i < count && i < haproxy_count(); ++i) ports.push_back(haproxys_[i].spec.rw_port);
  return ports;
}

int AdminFleet::ShardPort(const std::string& shard) { return stack_->Primary(shard).port(); }

std::string AdminFleet::ShardOfPort(int port) {
  for (const std::string& shard : options_.shards) {
    if (ShardPort(shard) == port) return shard;
  }
  return "";
}

}  // namespace shardgate::bench
