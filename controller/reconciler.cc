// The controller's reconcile loop (see reconciler.h).
#include "controller/reconciler.h"

#include <algorithm>
#include <set>
#include <thread>

#include "common/file.h"
#include "common/log.h"
#include "haproxy/range_map.h"

namespace shardgate::controller {
namespace {

std::string Digest(const std::vector<DesiredShard>& shards) {
  // FNV-1a over a canonical text of what HAProxy's servers should be: equal digests mean
  // equal server state, whichever controller computed them.
  std::string text;
  for (const DesiredShard& shard : shards) {
    text += shard.shard + "|" + shard.primary.value_or("-") + "|";
    for (const auto* list : {&shard.rw, &shard.ro}) {
      for (const DesiredServer& s : *list) {
        text += s.name + "," + s.address + "," + std::to_string(s.port) + "," +
                std::to_string(s.weight) + "," + std::string(ServerModeName(s.mode)) + ";";
      }
      text += "|";
    }
  }
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

double Seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

void LogCommand(const std::string& instance, const ServerCommand& c) {
  std::string detail;
  switch (c.kind) {
    case ServerCommand::Kind::kAddServer:
    case ServerCommand::Kind::kSetAddr: detail = c.address + ":" + std::to_string(c.port); break;
    case ServerCommand::Kind::kSetWeight: detail = std::to_string(c.weight); break;
    case ServerCommand::Kind::kSetState: detail = std::string(ServerModeName(c.mode)); break;
    default: break;
  }
  Log(LogLevel::kInfo, "haproxy_change",
      {{"haproxy", instance},
       {"command", std::string(CommandKindName(c.kind))},
       {"server", c.backend + "/" + c.server},
       {"to", detail},
       {"why", c.reason}});
}

}  // namespace

struct Reconciler::Instance {
  std::string name;
  haproxy::RuntimeClient client;
  InstanceMemory memory;
  InstanceApplied applied;
  bool synced_once = false;
  bool dirty = true;      // needs a full round whatever the inputs say
  bool reachable = true;  // false: wait for `show info` to answer before a round
  uint64_t applied_generation = 0;
  uint64_t applied_map = 0;
  std::vector<std::string> unbound;  // shards last seen without a backend
  SteadyTime next_full{};            // the periodic full round
  SteadyTime next_check{};           // the next `show info`
  SteadyTime retry_at{};             // after a failed round
  Millis backoff{0};
};

struct Reconciler::Plan {
  InstancePlan instance;
  uint64_t generation = 0;
  std::string digest;
  std::optional<WallTime> next_change;  // the next rule expiry
};

Reconciler::Reconciler(const Clock& clock, ControllerMetrics& metrics, ReconcilerOptions options,
                       std::vector<InstanceTarget> instances)
    : clock_(clock), metrics_(metrics), options_(std::move(options)) {
  for (InstanceTarget& t : instances) {
    instances_.push_back(Instance{t.name, haproxy::RuntimeClient(*t.socket)});
    instances_.back().applied.name = t.name;
  }
}

Reconciler::~Reconciler() = default;

void Reconciler::SetFleet(const FleetView& fleet) {
  for (const std::string& why : fleet.skipped) {
    Log(LogLevel::kWarn, "consul_instance_skipped", {{"reason", why}});
  }
  ReconcilerInputs current = inputs_.Snapshot();
  bool partial = !fleet.skipped.empty();
  // Consul also answers for changes the records do not carry (a check's output): no round.
  if (current.nodes == fleet.nodes && current.fleet_partial == partial) return;
  SteadyTime now = clock_.Now();
  inputs_.PostEdit([&](ReconcilerInputs& in) {
    std::vector<WallTime> changed;
    for (const model::NodeRecord& n : fleet.nodes) {
      bool known = in.nodes && std::find(in.nodes->begin(), in.nodes->end(), n) != in.nodes->end();
      if (!known) changed.push_back(n.changed_at);
    }
    in.nodes = fleet.nodes;
    in.fleet_partial = partial;
    in.received = now;
    in.changed_at = std::move(changed);
  });
}

void Reconciler::SetRules(std::optional<RuleSet> rules) {
  if (rules) metrics_.SetRulesVersion(rules->version);
  if (!rules) {
    Log(LogLevel::kWarn, "rules_missing",
        {{"effect", "the range map HAProxy runs is left as it is"}});
  }
  SteadyTime now = clock_.Now();
  inputs_.PostEdit([&](ReconcilerInputs& in) {
    in.rules_known = true;
    in.rules = std::move(rules);
    in.received = now;
    in.changed_at.clear();
  });
}

void Reconciler::RejectRules(const Status& why) {
  metrics_.CountRulesRejected();
  Log(LogLevel::kError, "rules_rejected",
      {{"error", why.ToString()}, {"effect", "the last good rules stay in force"}});
}

void Reconciler::OnApplied(std::function<void(const std::vector<InstanceApplied>&)> callback) {
  on_applied_ = std::move(callback);
}

void Reconciler::Run(std::stop_token stop) {
  uint64_t seen = inputs_.Snapshot().version;
  while (!stop.stop_requested()) {
    SteadyTime next = Step();
    seen = inputs_.WaitNewer(seen, next, stop).version;
  }
}

Reconciler::Plan Reconciler::BuildPlan(const ReconcilerInputs& in, SteadyTime now, WallTime wall) {
  Plan plan;
  plan.generation = in.version;
  plan.instance.map_path = options_.ranges_map;
  plan.instance.shards_map_path = options_.shards_map;
  plan.instance.remove_after = options_.remove_after;
  plan.instance.now = now;
  plan.instance.manage_servers = in.nodes.has_value();
  plan.instance.keep_unwanted = in.fleet_partial;
  if (in.nodes) {
    plan.instance.shards = ComputeDesired(*in.nodes, fences_);
    TrackShards(plan.instance.shards);
    std::lock_guard lock(mu_);
    shards_ = plan.instance.shards;
    plan.digest = Digest(plan.instance.shards);
  }
  if (in.rules) {
    const uint64_t map_version = MapVersion(*in.rules, wall);
    // The map changes only with the rules or an expiry (which changes the map version): a
    // 100,000-rule map is flattened once, not at every check.
    if (!flat_ || flat_->input_version != in.version || flat_->map_version != map_version) {
      FlatMap flat = Flatten(in.rules->rules, wall);
      std::set<std::string> shards;
      for (const model::Segment& seg : flat.segments) shards.insert(seg.shard);
      flat_ =
          FlatCache{in.version,
                    map_version,
                    std::make_shared<const std::vector<model::Segment>>(std::move(flat.segments)),
                    {shards.begin(), shards.end()},
                    flat.next_change};
    }
    plan.instance.segments = flat_->segments;
    plan.instance.segment_shards = flat_->shards;
    plan.instance.map_version = map_version;
    plan.next_change = flat_->next_change;
  }
  return plan;
}

// Remembers fences and primaries, counts failovers, logs and exports write blocks.
void Reconciler::TrackShards(const std::vector<DesiredShard>& shards) {
  for (const DesiredShard& shard : shards) {
    int64_t& fence = fences_[shard.shard];
    fence = std::max(fence, shard.fence_timeline);
    std::string now_primary = shard.primary.value_or("");
    std::string& was = primaries_[shard.shard];
    if (!now_primary.empty() && !was.empty() && now_primary != was) {
      metrics_.CountFailover(shard.shard);
      Log(LogLevel::kWarn, "failover",
          {{"shard", shard.shard},
           {"from", was},
           {"to", now_primary},
           {"timeline", std::to_string(shard.fence_timeline)}});
    }
    if (!now_primary.empty()) was = now_primary;
    auto [it, inserted] = write_blocks_.try_emplace(shard.shard, WriteBlock::kNone);
    if (it->second != shard.write_block || (inserted && shard.write_block != WriteBlock::kNone)) {
      Log(shard.write_block == WriteBlock::kNone ? LogLevel::kInfo : LogLevel::kError,
          "shard_writable",
          {{"shard", shard.shard},
           {"write_block", std::string(WriteBlockName(shard.write_block))},
           {"fenced", std::to_string(shard.fenced.size())}});
      it->second = shard.write_block;
    }
    metrics_.SetShardState(shard.shard, WriteBlockName(shard.write_block),
                           static_cast<int>(shard.fenced.size()));
  }
}

// The map file on disk follows what the controller pushes, so an HAProxy that restarts loads a
// current map before the controller reaches it.
void Reconciler::KeepMapFile(const InstancePlan& plan) {
  if (plan.map_version == 0 || plan.map_version == map_file_version_) return;
  Status s = WriteFileAtomically(options_.ranges_map,
                                 haproxy::RenderMapFile(*plan.segments, plan.map_version));
  if (!s.ok()) {
    Log(LogLevel::kError, "map_file_write_failed",
        {{"path", options_.ranges_map}, {"error", s.ToString()}});
    return;
  }
  map_file_version_ = plan.map_version;
}

// Whether `inst` needs a full round now. Between rounds a cheap `show info` every
// check_interval notices a restarted or returning HAProxy at once.
bool Reconciler::Due(Instance& inst, SteadyTime now, const Plan& plan) {
  if (now < inst.retry_at) return false;
  bool changed = inst.applied_generation != plan.generation ||
                 inst.applied_map != plan.instance.map_version;
  if (inst.reachable && (inst.dirty || changed || now >= inst.next_full)) return true;
  if (now < inst.next_check) return false;
  inst.next_check = now + options_.check_interval;
  Result<haproxy::ProcessInfo> info = inst.client.ShowInfo();
  if (!info.ok()) {
    MarkUnreachable(inst, info.status());
    return false;
  }
  if (!inst.reachable) {
    Log(LogLevel::kInfo, "haproxy_reachable", {{"haproxy", inst.name}});
    inst.reachable = true;
    return true;
  }
  const auto& was = inst.memory.process;
  return !was || was->pid != info->pid || info->uptime_sec < was->uptime_sec;
}

void Reconciler::MarkUnreachable(Instance& inst, const Status& why) {
  if (inst.reachable) {
    Log(LogLevel::kError, "haproxy_unreachable",
        {{"haproxy", inst.name},
         {"error", why.ToString()},
         {"effect", "retrying every " + std::to_string(options_.check_interval.count()) + "ms"}});
  }
  inst.reachable = false;
  inst.dirty = true;
  inst.applied.ok = false;
  inst.applied.error = why.ToString();
  metrics_.SetInstanceUp(inst.name, false);
}

void Reconciler::Record(Instance& inst, const InstanceReport& r) {
  for (const ServerCommand& c : r.servers.done) {
    LogCommand(inst.name, c);
    metrics_.CountCommand(CommandKindName(c.kind), true);
  }
  for (size_t i = 0; i < r.servers.refused.size(); ++i) {
    metrics_.CountCommand(CommandKindName(r.servers.refused[i].kind), false);
    Log(LogLevel::kWarn, "haproxy_command_failed",
        {{"haproxy", inst.name}, {"error", r.servers.errors[i]}});
  }
  if (r.restarted) {
    metrics_.CountHaproxyRestart(inst.name);
    Log(LogLevel::kWarn, "haproxy_restarted",
        {{"haproxy", inst.name}, {"effect", "servers, weights, states and map put back"}});
  }
  if (r.map_pushed) {
    Log(LogLevel::kInfo, "map_applied",
        {{"haproxy", inst.name}, {"version", std::to_string(r.map_version)}});
  }
  if (r.map_version != 0) metrics_.SetMapVersion(inst.name, r.map_version);
  if (r.binding) KeepBinding(inst, *r.binding);
}

// Logs shards left without a backend when that set changes, and keeps the shards map file in
// step with the bindings, so a restarted HAProxy routes bound shards before the next round.
void Reconciler::KeepBinding(Instance& inst, const BackendBinding& binding) {
  if (binding.unbound != inst.unbound) {
    for (const std::string& shard : binding.unbound) {
      Log(LogLevel::kError, "shard_without_backend",
          {{"haproxy", inst.name},
           {"shard", shard},
           {"effect", "its connections are refused (08004) until a spare backend is free"}});
    }
    inst.unbound = binding.unbound;
  }
  if (options_.shards_map.empty()) return;
  std::string text = RenderBindingMap(binding);
  std::lock_guard lock(file_mu_);  // instances sync in parallel; the file is shared
  if (text == shards_file_text_) return;
  Status s = WriteFileAtomically(options_.shards_map, text);
  if (!s.ok()) {
    Log(LogLevel::kError, "map_file_write_failed",
        {{"path", options_.shards_map}, {"error", s.ToString()}});
    return;
  }
  shards_file_text_ = std::move(text);
}

void Reconciler::SyncOne(Instance& inst, const Plan& plan, SteadyTime now, WallTime wall) {
  InstanceReport r = SyncInstance(inst.client, plan.instance, inst.memory);
  inst.next_check = now + options_.check_interval;
  Record(inst, r);
  bool ok = r.status.ok() && r.servers.failed == 0;
  metrics_.CountReconcile(inst.name, ok);
  if (r.map_version != 0) inst.applied.map_version = r.map_version;
  if (!r.status.ok() && !inst.client.ShowInfo().ok()) {
    MarkUnreachable(inst, r.status);  // retried as soon as `show info` answers again
    return;
  }
  metrics_.SetInstanceUp(inst.name, true);
  if (!ok) {
    inst.dirty = true;
    inst.backoff = std::min(options_.retry_max,
                            inst.backoff.count() == 0 ? options_.retry_initial : inst.backoff * 2);
    inst.retry_at = now + inst.backoff;
    inst.applied.ok = false;
    inst.applied.error = r.status.ok() ? r.servers.errors.front() : r.status.ToString();
    Log(LogLevel::kWarn, "reconcile_failed",
        {{"haproxy", inst.name},
         {"error", inst.applied.error},
         {"retry_in_ms", std::to_string(inst.backoff.count())}});
    return;
  }
  inst.dirty = false;
  inst.backoff = Millis(0);
  inst.retry_at = {};
  inst.next_full = now + options_.resync_interval;
  inst.applied_generation = plan.generation;
  inst.applied_map = plan.instance.map_version;
  inst.synced_once = inst.synced_once || plan.instance.manage_servers;
  inst.applied.ok = true;
  inst.applied.error.clear();
  if (plan.instance.manage_servers) inst.applied.state_digest = plan.digest;
  inst.applied.generation = plan.generation;
  inst.applied.applied_at = wall;
  metrics_.SetGeneration(inst.name, plan.generation);
}

// Latency of the latest input change, once every instance runs it: agent changed_at -> applied
// (reroute) and Consul answer received -> applied (the controller's own share).
void Reconciler::ObserveLatency(const ReconcilerInputs& in, WallTime wall) {
  if (in.version == latency_seen_) return;
  for (const Instance& inst : instances_) {
    if (inst.applied_generation != in.version) return;
  }
  latency_seen_ = in.version;
  metrics_.ObserveApply(Seconds(clock_.Now() - in.received));
  for (WallTime changed : in.changed_at) {
    if (changed.time_since_epoch().count() > 0 && changed <= wall) {
      metrics_.ObserveReroute(Seconds(wall - changed));
    }
  }
}

SteadyTime Reconciler::Step() {
  SteadyTime now = clock_.Now();
  WallTime wall = clock_.WallNow();
  ReconcilerInputs in = inputs_.Snapshot();
  Plan plan = BuildPlan(in, now, wall);
  SyncAll(plan, now, wall);
  ObserveLatency(in, clock_.WallNow());
  std::vector<InstanceApplied> applied;
  for (const Instance& inst : instances_) applied.push_back(inst.applied);
  bool news = false;
  {
    std::lock_guard lock(mu_);
    news = applied != applied_;
    applied_ = applied;
    rounds_ready_ = in.nodes.has_value() && in.rules_known &&
                    std::all_of(instances_.begin(), instances_.end(),
                                [](const Instance& i) { return i.synced_once; });
  }
  if (news && on_applied_) on_applied_(applied);
  // After HAProxy and the report: the file (written with an fsync, several milliseconds) only
  // matters to an HAProxy that restarts, and the controller pushes the map to that one anyway.
  KeepMapFile(plan.instance);
  return NextWake(plan, now, wall);
}

// Every due instance, each on its own thread when there are several: instances share nothing but
// the plan, and a change counts as applied only once the last of them runs it, so the round takes
// as long as the slowest instance rather than the sum of all.
void Reconciler::SyncAll(const Plan& plan, SteadyTime now, WallTime wall) {
  auto sync = [&](Instance& inst) {
    if (Due(inst, now, plan)) SyncOne(inst, plan, now, wall);
  };
  if (instances_.size() == 1) return sync(instances_.front());
  std::vector<std::jthread> others;
  for (size_t i = 1; i < instances_.size(); ++i) {
    others.emplace_back([&, i] { sync(instances_[i]); });
  }
  sync(instances_.front());
}

SteadyTime Reconciler::NextWake(const Plan& plan, SteadyTime now, WallTime wall) const {
  SteadyTime next = now + options_.resync_interval;
  for (const Instance& inst : instances_) {
    next = std::min({next, inst.next_check, inst.next_full});
    if (inst.retry_at > now) next = std::min(next, inst.retry_at);
  }
  if (plan.next_change) {
    auto until = std::chrono::duration_cast<SteadyTime::duration>(*plan.next_change - wall);
    next = std::min(next, now + std::max(until, SteadyTime::duration(0)) + Millis(1));
  }
  return std::max(next, now + Millis(1));
}

std::optional<std::string> Reconciler::NotReadyReason() const {
  ReconcilerInputs in = inputs_.Snapshot();
  if (!in.nodes) return "waiting for the first answer of Consul's health endpoint";
  if (!in.rules_known) return "waiting for the first answer of the rules key in Consul KV";
  std::lock_guard lock(mu_);
  if (rounds_ready_) return std::nullopt;
  for (const InstanceApplied& a : applied_) {
    if (!a.ok) return "haproxy " + a.name + ": " + (a.error.empty() ? "no round yet" : a.error);
  }
  return "waiting for the first complete round";
}

std::vector<InstanceApplied> Reconciler::Applied() const {
  std::lock_guard lock(mu_);
  return applied_;
}

std::optional<std::vector<model::NodeRecord>> Reconciler::Nodes() const {
  return inputs_.Snapshot().nodes;
}

std::vector<DesiredShard> Reconciler::Shards() const {
  std::lock_guard lock(mu_);
  return shards_;
}

}  // namespace shardgate::controller
