// Instance sync: read HAProxy, diff, apply the server commands, push the map when it differs.
#include "controller/instance_sync.h"

namespace shardgate::controller {
namespace {

bool NewProcess(const std::optional<haproxy::ProcessInfo>& before,
                const haproxy::ProcessInfo& now) {
  return before.has_value() && (before->pid != now.pid || now.uptime_sec < before->uptime_sec);
}

}  // namespace

InstanceReport SyncInstance(haproxy::RuntimeClient& client, const InstancePlan& plan,
                            InstanceMemory& memory) {
  InstanceReport report;
  Result<haproxy::ProcessInfo> info = client.ShowInfo();
  if (!info.ok()) {
    report.status = info.status();
    return report;
  }
  report.restarted = NewProcess(memory.process, *info);
  memory.process = *info;

  Result<std::vector<haproxy::ServerState>> states = client.ShowServersState();
  if (!states.ok()) {
    report.status = states.status();
    return report;
  }
  report.servers = ApplyCommands(client, DiffServers(plan.shards, ObserveServers(*states)));

  Result<uint64_t> running = client.RangeMapVersion(plan.map_path);
  if (!running.ok()) {
    report.status = running.status();
    return report;
  }
  report.map_version = *running;
  if (*running == plan.map_version) return report;
  Result<uint64_t> pushed = client.PushRangeMap(plan.map_path, plan.segments, plan.map_version);
  if (!pushed.ok()) {
    report.status = pushed.status();
    return report;
  }
  report.map_pushed = true;
  report.map_version = *pushed;
  return report;
}

}  // namespace shardgate::controller
