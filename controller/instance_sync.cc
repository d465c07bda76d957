// Instance sync: read HAProxy, diff, apply the server commands, push the map when it differs.
#include "controller/instance_sync.h"

namespace shardgate::controller {
namespace {

bool NewProcess(const std::optional<haproxy::ProcessInfo>& before,
                const haproxy::ProcessInfo& now) {
  return before.has_value() && (before->pid != now.pid || now.uptime_sec < before->uptime_sec);
}

// kDelServer for each unwanted server that is in maint and has been unwanted for remove_after;
// forgets servers that are wanted again or gone from HAProxy.
std::vector<ServerCommand> Removals(const InstancePlan& plan,
                                    const std::vector<ObservedServer>& observed,
                                    InstanceMemory& memory) {
  std::map<std::pair<std::string, std::string>, SteadyTime> still;
  std::vector<ServerCommand> out;
  for (const ObservedServer& s : UnwantedServers(plan.shards, observed)) {
    std::pair<std::string, std::string> key{s.backend, s.name};
    auto found = memory.unwanted_since.find(key);
    SteadyTime since = found == memory.unwanted_since.end() ? plan.now : found->second;
    still[key] = since;
    if (s.mode != ServerMode::kMaint || plan.now - since < plan.remove_after) continue;
    ServerCommand c;
    c.kind = ServerCommand::Kind::kDelServer;
    c.backend = s.backend;
    c.server = s.name;
    c.reason = "node gone for good";
    out.push_back(std::move(c));
  }
  memory.unwanted_since = std::move(still);
  return out;
}

Status SyncServers(haproxy::RuntimeClient& client, const InstancePlan& plan, InstanceMemory& memory,
                   ApplyOutcome& outcome) {
  ASSIGN_OR_RETURN(std::vector<haproxy::ServerState> states, client.ShowServersState());
  std::vector<ObservedServer> observed = ObserveServers(states);
  outcome = ApplyCommands(client, DiffServers(plan.shards, observed));
  // Removals go after the diff so a server put in maint this round is not deleted before the
  // next one.
  ApplyOutcome removed = ApplyCommands(client, Removals(plan, observed, memory));
  outcome.applied += removed.applied;
  outcome.failed += removed.failed;
  auto append = [](auto& into, const auto& more) {
    into.insert(into.end(), more.begin(), more.end());
  };
  append(outcome.errors, removed.errors);
  append(outcome.done, removed.done);
  append(outcome.refused, removed.refused);
  return Status::Ok();
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

  if (plan.manage_servers) {
    Status servers = SyncServers(client, plan, memory, report.servers);
    if (!servers.ok()) {
      report.status = servers;
      return report;
    }
  }
  if (plan.map_version == 0) return report;

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
