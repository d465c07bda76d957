// The controller's metrics: a thread-safe recorder and the pure Prometheus rendering of its values.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/histogram.h"

namespace shardgate::controller {

// Everything the controller exposes, as plain values (docs/controller.md lists the metrics).
struct MetricsSnapshot {
  struct Instance {
    uint64_t reconciles_ok = 0;
    uint64_t reconciles_error = 0;
    uint64_t restarts = 0;
    std::optional<bool> up;  // unset: not reported yet, and not rendered
    std::optional<uint64_t> map_version;
    std::optional<uint64_t> generation;
  };
  struct Shard {
    uint64_t failovers = 0;
    std::optional<std::string> write_block;  // WriteBlockName; unset: no state reported yet
    int fenced = 0;
  };
  struct Results {
    uint64_t ok = 0;
    uint64_t error = 0;
  };
  std::map<std::string, Instance, std::less<>> instances;
  std::map<std::string, Shard, std::less<>> shards;
  std::map<std::string, Results, std::less<>> commands;        // by command kind
  std::map<std::string, uint64_t, std::less<>> consul_errors;  // by watch
  bool consul_up = false;
  double consul_staleness_seconds = 0;
  uint64_t rules_rejected = 0;
  uint64_t rules_version = 0;
  Histogram reroute{LatencyBucketsSeconds()};
  Histogram apply{LatencyBucketsSeconds()};
  // Admin API: requests by "<METHOD> <route>" and status, CAS conflicts retried, and the time
  // from a change committed to every HAProxy running it (wait=applied).
  std::map<std::pair<std::string, int>, uint64_t> admin_requests;
  uint64_t admin_cas_retries = 0;
  Histogram admin_applied{LatencyBucketsSeconds()};
};

// Prometheus text 0.0.4: every family with HELP and TYPE lines (even before it has a series),
// families in a fixed order, series sorted by label values, label values escaped. Pure.
std::string RenderControllerMetrics(const MetricsSnapshot& snapshot);

// Thread-safety: every method may be called from any thread (one lock around the values).
class ControllerMetrics {
 public:
  // `clock` must outlive this; the time of construction stands for the last Consul contact
  // until there is one.
  explicit ControllerMetrics(const Clock& clock);
  ControllerMetrics(const ControllerMetrics&) = delete;
  ControllerMetrics& operator=(const ControllerMetrics&) = delete;

  // One reconcile round against one HAProxy instance ended.
  void CountReconcile(const std::string& instance, bool ok);
  // One runtime-API command was sent; `kind` as CommandKindName ("set_weight", ...).
  void CountCommand(std::string_view kind, bool ok);
  // The shard's writes moved to another node.
  void CountFailover(const std::string& shard);
  // The shard's write state: `write_block` as WriteBlockName ("none" = writable), and how many
  // nodes claim primary but are fenced.
  void SetShardState(const std::string& shard, std::string_view write_block, int fenced);
  // The shard left the fleet: every series labelled with it disappears (its failover counter
  // too, so that shards come and go without the series piling up).
  void ForgetShard(const std::string& shard);

  void SetConsulUp(bool up);
  // A Consul answer arrived (staleness is the time since the last one).
  void MarkConsulContact();
  // A Consul request of `watch` ("health", "rules") failed.
  void CountConsulError(std::string_view watch);
  // A rules document did not validate and was not applied.
  void CountRulesRejected();
  void SetRulesVersion(uint64_t version);

  void SetInstanceUp(const std::string& instance, bool up);
  void SetMapVersion(const std::string& instance, uint64_t version);
  void SetGeneration(const std::string& instance, uint64_t generation);
  // A new HAProxy process was seen behind the instance's socket.
  void CountHaproxyRestart(const std::string& instance);

  // From the agent's changed_at to the change applied in HAProxy. Negative values (clocks of
  // two hosts disagree) count as 0.
  void ObserveReroute(double seconds);
  // From a Consul answer received to its change applied: the controller's own share.
  void ObserveApply(double seconds);

  void CountAdminRequest(std::string_view route, int status);
  void CountAdminCasRetry();
  void ObserveAdminApplied(double seconds);

  // The values now, with the staleness computed from the clock.
  MetricsSnapshot Snapshot() const;
  // RenderControllerMetrics(Snapshot()).
  std::string Render() const;

 private:
  const Clock& clock_;
  mutable std::mutex mu_;
  MetricsSnapshot values_;   // consul_staleness_seconds unused here: computed by Snapshot()
  SteadyTime last_contact_;  // construction time until the first contact
};

}  // namespace shardgate::controller
