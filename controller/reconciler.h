// Reconciler: the controller's loop. Takes the latest Consul inputs (fleet, rules), computes the
// desired state and brings every managed HAProxy instance in line with it, round after round:
// at once on a change (bursts coalesce into one round), at the next rule expiry, when an
// instance restarted, and every resync_interval as a safety net.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/latest_board.h"
#include "common/status.h"
#include "controller/fleet_view.h"
#include "controller/instance_sync.h"
#include "controller/metrics.h"
#include "controller/routing_rules.h"
#include "haproxy/runtime_client.h"
#include "haproxy/runtime_socket.h"

namespace shardgate::controller {

struct ReconcilerOptions {
  std::string ranges_map;  // the range map's path in HAProxy and on disk
  std::string shards_map;  // the shard -> spare backend map; "" = none
  Millis resync_interval{30000};
  Millis check_interval{200};  // `show info` per instance between rounds
  Millis remove_after{60000};
  Millis retry_initial{100};  // after a round that reached HAProxy but failed
  Millis retry_max{5000};
};

// One managed HAProxy: a name for logs and metrics, and its runtime API (not owned).
struct InstanceTarget {
  std::string name;
  haproxy::RuntimeSocket* socket = nullptr;
};

// What one instance runs, as last applied: the fleet report's content.
struct InstanceApplied {
  std::string name;
  bool ok = false;           // the last round ran through
  std::string error;         // why it did not
  uint64_t map_version = 0;  // the range map version HAProxy runs (0: unknown)
  std::string state_digest;  // of the desired servers last applied in full ("" before)
  uint64_t generation = 0;   // this controller's count of input changes applied
  WallTime applied_at{};
  bool operator==(const InstanceApplied&) const = default;
};

// The latest inputs from Consul. The board owns `version`.
struct ReconcilerInputs {
  uint64_t version = 0;
  std::optional<std::vector<model::NodeRecord>> nodes;  // none until the health watch answered
  bool fleet_partial = false;        // some instance did not decode (FleetView::skipped)
  bool rules_known = false;          // the rules watch answered
  std::optional<RuleSet> rules;      // none: no rules document in KV
  SteadyTime received{};             // when the latest change arrived
  std::vector<WallTime> changed_at;  // agents' changed_at of records new in the latest change
};

// Thread-safety: the Set*/Reject* inputs and NotReadyReason/Applied from any thread; Run and
// Step from one thread.
class Reconciler {
 public:
  Reconciler(const Clock& clock, ControllerMetrics& metrics, ReconcilerOptions options,
             std::vector<InstanceTarget> instances);
  ~Reconciler();
  Reconciler(const Reconciler&) = delete;
  Reconciler& operator=(const Reconciler&) = delete;

  // The latest fleet; one caller thread (the health watch). A fleet equal to the last one (Consul
  // answered for a change the records do not carry) starts no round.
  void SetFleet(const FleetView& fleet);
  void SetRules(std::optional<RuleSet> rules);  // nullopt: the rules key does not exist
  // A rules document that does not decode: counted and logged; the last good rules stay.
  void RejectRules(const Status& why);
  // Called after every round with what each instance runs.
  void OnApplied(std::function<void(const std::vector<InstanceApplied>&)> callback);

  // Rounds until `stop`.
  void Run(std::stop_token stop);
  // One round at clock.Now() with the latest inputs; returns when the next round is due.
  SteadyTime Step();

  // Why /readyz says no: "" when every instance completed a round with the fleet and rules known.
  std::optional<std::string> NotReadyReason() const;
  std::vector<InstanceApplied> Applied() const;
  // The latest fleet from Consul (none until the health watch answered), for the admin API.
  std::optional<std::vector<model::NodeRecord>> Nodes() const;
  // Every shard's desired state as of the last round (empty before the first), for the admin
  // API: which shards exist and which have a writer.
  std::vector<DesiredShard> Shards() const;

 private:
  struct Instance;
  struct Plan;

  Plan BuildPlan(const ReconcilerInputs& in, SteadyTime now, WallTime wall);
  void TrackShards(const std::vector<DesiredShard>& shards);
  void KeepMapFile(const InstancePlan& plan);
  bool Due(Instance& inst, SteadyTime now, const Plan& plan);
  void MarkUnreachable(Instance& inst, const Status& why);
  void Record(Instance& inst, const InstanceReport& report);
  void KeepBinding(Instance& inst, const BackendBinding& binding);
  void SyncOne(Instance& inst, const Plan& plan, SteadyTime now, WallTime wall);
  void SyncAll(const Plan& plan, SteadyTime now, WallTime wall);
  void ObserveLatency(const ReconcilerInputs& in, WallTime wall);
  SteadyTime NextWake(const Plan& plan, SteadyTime now, WallTime wall) const;

  const Clock& clock_;
  ControllerMetrics& metrics_;
  const ReconcilerOptions options_;
  LatestBoard<ReconcilerInputs> inputs_;
  std::vector<Instance> instances_;
  std::function<void(const std::vector<InstanceApplied>&)> on_applied_;

  // Loop-thread state.
  std::map<std::string, int64_t> fences_;         // newest timeline seen per shard
  std::map<std::string, std::string> primaries_;  // current writer per shard
  std::map<std::string, WriteBlock> write_blocks_;
  uint64_t map_file_version_ = 0;  // the version last written to disk
  struct FlatCache {
    uint64_t input_version = 0;  // ReconcilerInputs::version it was computed from
    uint64_t map_version = 0;
    std::shared_ptr<const std::vector<model::Segment>> segments;
    std::vector<std::string> shards;  // distinct, sorted
    std::optional<WallTime> next_change;
  };
  std::optional<FlatCache> flat_;  // the last flattened map
  std::mutex file_mu_;             // guards shards_file_text_ (instances sync in parallel)
  std::string shards_file_text_;   // the shards map file last written
  uint64_t latency_seen_ = 0;      // input version whose latency was observed
  mutable std::mutex mu_;          // guards applied_, rounds_ready_, shards_
  std::vector<InstanceApplied> applied_;
  std::vector<DesiredShard> shards_;
  bool rounds_ready_ = false;
};

}  // namespace shardgate::controller
