// Recording under one lock, and the rendering of every family (see metrics.h).
#include "controller/metrics.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "common/prometheus_text.h"
#include "controller/desired_state.h"

namespace shardgate::controller {
namespace {

using Instance = MetricsSnapshot::Instance;
using Shard = MetricsSnapshot::Shard;

// The watches the controller runs: their error counters exist from the start, so that an alert
// on their increase sees the first error.
constexpr std::string_view kWatches[] = {"health", "rules"};

// The reasons a shard can be blocked, each with a 0/1 series for every shard with a state.
std::vector<std::string_view> KnownWriteBlocks() {
  return {WriteBlockName(WriteBlock::kNoPrimary), WriteBlockName(WriteBlock::kSplitBrain)};
}

// One family with one series per map entry, labelled `label`="<key>"; `value(entry)` returns
// std::optional<uint64_t>, and an entry without a value has no series.
template <typename Map, typename Value>
void PerKey(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            std::string_view label, const Map& map, Value value) {
  AppendMetricHeader(out, name, type, help);
  for (const auto& [key, entry] : map) {
    std::optional<uint64_t> v = value(entry);
    if (v) AppendMetricCount(out, name, {{label, key}}, *v);
  }
}

// A counter family labelled `label` and result="ok|error"; both results from the first count.
template <typename Map, typename Results>
void OkErrorCounter(std::string& out, std::string_view name, std::string_view help,
                    std::string_view label, const Map& map, Results results) {
  AppendMetricHeader(out, name, "counter", help);
  for (const auto& [key, entry] : map) {
    const auto [ok, error] = results(entry);
    AppendMetricCount(out, name, {{label, key}, {"result", "error"}}, error);
    AppendMetricCount(out, name, {{label, key}, {"result", "ok"}}, ok);
  }
}

void Single(std::string& out, std::string_view name, std::string_view type, std::string_view help,
            double value) {
  AppendMetricHeader(out, name, type, help);
  AppendMetricSample(out, name, {}, value);
}

void HistogramFamily(std::string& out, std::string_view name, std::string_view help,
                     const Histogram& histogram) {
  AppendMetricHeader(out, name, "histogram", help);
  AppendHistogramSamples(out, name, {}, histogram);
}

std::optional<uint64_t> Flag(const std::optional<bool>& b) {
  if (!b) return std::nullopt;
  return *b ? 1 : 0;
}

void RenderReconcile(std::string& out, const MetricsSnapshot& s) {
  OkErrorCounter(out, "shardgate_controller_reconciles_total",
                 "Reconcile rounds per HAProxy instance, by result.", "instance", s.instances,
                 [](const Instance& i) { return std::pair(i.reconciles_ok, i.reconciles_error); });
  OkErrorCounter(out, "shardgate_controller_runtime_commands_total",
                 "HAProxy runtime-API commands sent, by command and result.", "command", s.commands,
                 [](const MetricsSnapshot::Results& r) { return std::pair(r.ok, r.error); });
  HistogramFamily(out, "shardgate_controller_apply_seconds",
                  "From a Consul answer received to its change applied in HAProxy.", s.apply);
  HistogramFamily(out, "shardgate_reroute_seconds",
                  "From an agent's state change (changed_at) to its change applied in HAProxy.",
                  s.reroute);
}

void RenderWriteBlocked(std::string& out, const MetricsSnapshot& s) {
  constexpr std::string_view kName = "shardgate_shard_write_blocked";
  AppendMetricHeader(out, kName, "gauge",
                     "1 for the reason a shard takes no writes (no_primary, split_brain), else 0.");
  const std::vector<std::string_view> known = KnownWriteBlocks();
  for (const auto& [shard, entry] : s.shards) {
    if (!entry.write_block) continue;
    const std::string& current = *entry.write_block;
    std::vector<std::string_view> reasons = known;
    // A reason this build does not know still shows, rather than a shard that looks fine.
    if (current != WriteBlockName(WriteBlock::kNone) &&
        std::find(known.begin(), known.end(), current) == known.end()) {
      reasons.push_back(current);
      std::sort(reasons.begin(), reasons.end());
    }
    for (std::string_view reason : reasons) {
      AppendMetricCount(out, kName, {{"shard", shard}, {"reason", reason}},
                        reason == current ? 1 : 0);
    }
  }
}

void RenderShards(std::string& out, const MetricsSnapshot& s) {
  PerKey(out, "shardgate_backend_failover_total", "counter",
         "Times a shard's writes moved to another node.", "shard", s.shards,
         [](const Shard& sh) { return std::optional<uint64_t>(sh.failovers); });
  PerKey(out, "shardgate_shard_writable", "gauge", "1 when one primary takes the shard's writes.",
         "shard", s.shards, [](const Shard& sh) -> std::optional<uint64_t> {
           if (!sh.write_block) return std::nullopt;
           return *sh.write_block == WriteBlockName(WriteBlock::kNone) ? 1 : 0;
         });
  RenderWriteBlocked(out, s);
  PerKey(out, "shardgate_fenced_primaries", "gauge",
         "Nodes that claim primary but are kept from writes (older timeline or split brain).",
         "shard", s.shards, [](const Shard& sh) -> std::optional<uint64_t> {
           if (!sh.write_block) return std::nullopt;
           return static_cast<uint64_t>(std::max(sh.fenced, 0));
         });
}

void RenderConsul(std::string& out, const MetricsSnapshot& s) {
  Single(out, "shardgate_consul_up", "gauge", "1 when the last Consul request succeeded.",
         s.consul_up ? 1 : 0);
  Single(
      out, "shardgate_consul_staleness_seconds", "gauge",
      "0 while the Consul watches succeed; else seconds since the last answer (since start before the first).",
      s.consul_staleness_seconds);
  PerKey(out, "shardgate_consul_errors_total", "counter", "Failed Consul requests, by watch.",
         "watch", s.consul_errors, [](uint64_t n) { return std::optional<uint64_t>(n); });
  AppendMetricHeader(out, "shardgate_rules_rejected_total", "counter",
                     "Routing-rule documents that did not validate and were not applied.");
  AppendMetricCount(out, "shardgate_rules_rejected_total", {}, s.rules_rejected);
  AppendMetricHeader(out, "shardgate_rules_version", "gauge",
                     "Version of the routing rules last read from Consul.");
  AppendMetricCount(out, "shardgate_rules_version", {}, s.rules_version);
}

void RenderAdmin(std::string& out, const MetricsSnapshot& s) {
  constexpr std::string_view kRequests = "shardgate_admin_requests_total";
  AppendMetricHeader(out, kRequests, "counter", "Admin API requests, by route and status.");
  for (const auto& [key, n] : s.admin_requests) {
    AppendMetricCount(out, kRequests, {{"route", key.first}, {"code", std::to_string(key.second)}},
                      n);
  }
  Single(out, "shardgate_admin_cas_retries_total", "counter",
         "Routing-map writes retried after another writer changed the rules first.",
         s.admin_cas_retries);
  HistogramFamily(out, "shardgate_admin_applied_seconds",
                  "From a routing-map change committed to every HAProxy running it (wait=applied).",
                  s.admin_applied);
}

void RenderInstances(std::string& out, const MetricsSnapshot& s) {
  PerKey(out, "shardgate_haproxy_up", "gauge",
         "1 when the last round reached the instance's runtime API.", "instance", s.instances,
         [](const Instance& i) { return Flag(i.up); });
  PerKey(out, "shardgate_haproxy_restarts_total", "counter",
         "New HAProxy processes seen behind the instance's runtime API.", "instance", s.instances,
         [](const Instance& i) { return std::optional<uint64_t>(i.restarts); });
  PerKey(out, "shardgate_map_version", "gauge", "Version of the range map the instance runs.",
         "instance", s.instances, [](const Instance& i) { return i.map_version; });
  PerKey(out, "shardgate_applied_generation", "gauge",
         "Generation of the desired state last applied to the instance.", "instance", s.instances,
         [](const Instance& i) { return i.generation; });
}

}  // namespace

std::string RenderControllerMetrics(const MetricsSnapshot& snapshot) {
  std::string out;
  RenderReconcile(out, snapshot);
  RenderShards(out, snapshot);
  RenderConsul(out, snapshot);
  RenderAdmin(out, snapshot);
  RenderInstances(out, snapshot);
  return out;
}

ControllerMetrics::ControllerMetrics(const Clock& clock)
    : clock_(clock), last_contact_(clock.Now()) {
  for (std::string_view watch : kWatches) values_.consul_errors.emplace(watch, 0);
}

void ControllerMetrics::CountReconcile(const std::string& instance, bool ok) {
  std::lock_guard lock(mu_);
  Instance& i = values_.instances[instance];
  ++(ok ? i.reconciles_ok : i.reconciles_error);
}

void ControllerMetrics::CountCommand(std::string_view kind, bool ok) {
  std::lock_guard lock(mu_);
  auto it = values_.commands.try_emplace(std::string(kind)).first;
  ++(ok ? it->second.ok : it->second.error);
}

void ControllerMetrics::CountFailover(const std::string& shard) {
  std::lock_guard lock(mu_);
  ++values_.shards[shard].failovers;
}

void ControllerMetrics::SetShardState(const std::string& shard, std::string_view write_block,
                                      int fenced) {
  std::lock_guard lock(mu_);
  Shard& sh = values_.shards[shard];
  sh.write_block = std::string(write_block);
  sh.fenced = fenced;
}

void ControllerMetrics::ForgetShard(const std::string& shard) {
  std::lock_guard lock(mu_);
  values_.shards.erase(shard);
}

void ControllerMetrics::SetConsulUp(bool up) {
  std::lock_guard lock(mu_);
  values_.consul_up = up;
}

void ControllerMetrics::MarkConsulContact() {
  const SteadyTime now = clock_.Now();
  std::lock_guard lock(mu_);
  last_contact_ = std::max(last_contact_, now);
}

void ControllerMetrics::CountConsulError(std::string_view watch) {
  std::lock_guard lock(mu_);
  ++values_.consul_errors.try_emplace(std::string(watch), 0).first->second;
}

void ControllerMetrics::CountRulesRejected() {
  std::lock_guard lock(mu_);
  ++values_.rules_rejected;
}

void ControllerMetrics::SetRulesVersion(uint64_t version) {
  std::lock_guard lock(mu_);
  values_.rules_version = version;
}

void ControllerMetrics::SetInstanceUp(const std::string& instance, bool up) {
  std::lock_guard lock(mu_);
  values_.instances[instance].up = up;
}

void ControllerMetrics::SetMapVersion(const std::string& instance, uint64_t version) {
  std::lock_guard lock(mu_);
  values_.instances[instance].map_version = version;
}

void ControllerMetrics::SetGeneration(const std::string& instance, uint64_t generation) {
  std::lock_guard lock(mu_);
  values_.instances[instance].generation = generation;
}

void ControllerMetrics::CountHaproxyRestart(const std::string& instance) {
  std::lock_guard lock(mu_);
  ++values_.instances[instance].restarts;
}

void ControllerMetrics::ObserveReroute(double seconds) {
  std::lock_guard lock(mu_);
  values_.reroute.Observe(std::max(seconds, 0.0));
}

void ControllerMetrics::ObserveApply(double seconds) {
  std::lock_guard lock(mu_);
  values_.apply.Observe(seconds);
}

void ControllerMetrics::CountAdminRequest(std::string_view route, int status) {
  std::lock_guard lock(mu_);
  ++values_.admin_requests[{std::string(route), status}];
}

void ControllerMetrics::CountAdminCasRetry() {
  std::lock_guard lock(mu_);
  ++values_.admin_cas_retries;
}

void ControllerMetrics::ObserveAdminApplied(double seconds) {
  std::lock_guard lock(mu_);
  values_.admin_applied.Observe(std::max(seconds, 0.0));
}

MetricsSnapshot ControllerMetrics::Snapshot() const {
  const SteadyTime now = clock_.Now();
  std::lock_guard lock(mu_);
  MetricsSnapshot s = values_;
  // While the watches succeed the view is current: a blocking query returns as soon as
  // anything changes, however long ago the last answer came.
  s.consul_staleness_seconds =
      s.consul_up ? 0
                  : std::chrono::duration<double>(
                        std::max(now - last_contact_, SteadyTime::duration::zero()))
                        .count();
  return s;
}

std::string ControllerMetrics::Render() const { return RenderControllerMetrics(Snapshot()); }

}  // namespace shardgate::controller
