// Instance sync: read HAProxy, diff, apply the server commands, push the map when it differs.
#include "controller/instance_sync.h"

#include <set>

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

// Binds every shard the plan names (nodes and ranges) to a backend base. Without a shards map
// only static backends count: spare slots the router cannot see are never used.
Result<std::pair<BackendBinding, std::map<std::string, std::string>>> Bind(
    haproxy::RuntimeClient& client, const InstancePlan& plan) {
  ASSIGN_OR_RETURN(std::vector<std::string> backends, client.ShowBackends());
  std::map<std::string, std::string> current;
  if (!plan.shards_map_path.empty()) {
    ASSIGN_OR_RETURN(auto entries, client.ShowMap(plan.shards_map_path));
    current.insert(entries.begin(), entries.end());
  } else {
    std::erase_if(backends,
                  [](const std::string& b) { return b.rfind("shardgate_spare_", 0) == 0; });
  }
  std::vector<std::string> shards;
  for (const DesiredShard& d : plan.shards) shards.push_back(d.shard);
  shards.insert(shards.end(), plan.segment_shards.begin(), plan.segment_shards.end());
  return std::make_pair(BindBackends(shards, backends, current), std::move(current));
}

// The desired shards renamed to the backend bases they are bound to; unbound shards dropped.
std::vector<DesiredShard> OnBackends(const std::vector<DesiredShard>& shards,
                                     const BackendBinding& binding) {
  std::vector<DesiredShard> out;
  for (const DesiredShard& d : shards) {
    auto base = binding.base.find(d.shard);
    if (base == binding.base.end()) continue;
    out.push_back(d);
    out.back().shard = base->second;
  }
  return out;
}

Status SyncServers(haproxy::RuntimeClient& client, const InstancePlan& in, InstanceMemory& memory,
                   InstanceReport& report) {
  ASSIGN_OR_RETURN(auto bound, Bind(client, in));
  const auto& [binding, current] = bound;
  InstancePlan plan = in;
  plan.shards = OnBackends(in.shards, binding);
  ASSIGN_OR_RETURN(std::vector<haproxy::ServerState> states, client.ShowServersState());
  std::vector<ObservedServer> observed = ObserveServers(states);
  ApplyOutcome& outcome = report.servers;
  std::vector<ServerCommand> commands = DiffServers(plan.shards, observed);
  std::vector<ServerCommand> removals;
  if (plan.keep_unwanted) {
    // A record Consul returned that does not decode may be any node's: servers no decoded
    // record wants are left exactly as they are rather than take a live node out.
    std::set<std::pair<std::string, std::string>> unwanted;
    for (const ObservedServer& s : UnwantedServers(plan.shards, observed)) {
      unwanted.insert({s.backend, s.name});
    }
    std::erase_if(commands, [&](const ServerCommand& c) {
      return unwanted.count({c.backend, c.server}) > 0;
    });
  } else {
    // Removals go after the diff so a server put in maint this round is not deleted before the
    // next one.
    removals = Removals(plan, observed, memory);
  }
  outcome = ApplyCommands(client, commands);
  ApplyOutcome removed = ApplyCommands(client, removals);
  outcome.applied += removed.applied;
  outcome.failed += removed.failed;
  auto append = [](auto& into, const auto& more) {
    into.insert(into.end(), more.begin(), more.end());
  };
  append(outcome.errors, removed.errors);
  append(outcome.done, removed.done);
  append(outcome.refused, removed.refused);
  report.binding = binding;
  if (plan.shards_map_path.empty()) return Status::Ok();
  return ApplyMapEdits(client, plan.shards_map_path, DiffBindingMap(current, binding));
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
    Status servers = SyncServers(client, plan, memory, report);
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
  Result<uint64_t> pushed = client.PushRangeMap(plan.map_path, *plan.segments, plan.map_version);
  if (!pushed.ok()) {
    report.status = pushed.status();
    return report;
  }
  report.map_pushed = true;
  report.map_version = *pushed;
  return report;
}

}  // namespace shardgate::controller
