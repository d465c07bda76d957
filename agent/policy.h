// Health policy: rise/fall hysteresis, status and quantized weight from probe samples (pure).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "agent/pool_probe.h"
#include "agent/probe.h"
#include "common/clock.h"
#include "common/status.h"
#include "model/node_record.h"
#include "model/node_status.h"

namespace shardgate::agent {

using model::Health;
using model::HealthName;

// Thresholds; docs/agent.md gives the formula and why the defaults.
struct PolicyConfig {
  int rise = 2;  // consecutive good probes to leave critical (and to leave warning)
  int fall = 3;  // consecutive failed probes to become critical (degraded ones: warning)
  uint64_t lag_warn_bytes = 16ull << 20;
  Millis lag_warn{std::chrono::seconds(10)};
  double saturation_soft = 0.7;    // backends/max_connections where the weight starts to drop
  double saturation_warn = 0.9;    // ... and where the node is "saturated" (warning)
  int64_t pool_waiting_warn = 20;  // PgBouncer clients queued
  Millis pool_maxwait_warn{std::chrono::seconds(1)};
  int weight_buckets = 8;  // published weights are multiples of 256 / weight_buckets
};

using model::kMaxWeight;

// What the agent publishes. `reason` is a short stable code: ok, starting, lagging, saturated,
// pool_queue, draining, down, hung, probe_error.
struct NodeState {
  Health status = Health::kCritical;
  std::string reason = "starting";
  int weight = 0;  // 0..256; never 0 while passing
  Role role = Role::kUnknown;
  int64_t timeline = 0;
  uint64_t lag_bytes = 0;
  Millis lag{0};
  WallTime changed_at{};  // last change of status, role, timeline or weight; never decreases
};

// True when two states differ in what Consul's registration carries (status, role, timeline,
// weight): raw lag and the reason text alone are not a change.
bool StateChanged(const NodeState& a, const NodeState& b);

// One probe round's inputs.
struct Observation {
  Status probe_status;             // ok, or why the probe failed
  ProbeSample sample;              // valid when probe_status.ok()
  std::optional<PoolSample> pool;  // PgBouncer queue, when configured and read
  bool maintenance = false;        // Consul maintenance mode on our service (operator drain)
};

// The weight before quantization: 256 x lag factor x saturation factor x pool factor.
double RawWeight(const PolicyConfig& config, const ProbeSample& sample,
                 const std::optional<PoolSample>& pool);

// Not thread-safe; owned by the probe loop.
class Policy {
 public:
  explicit Policy(PolicyConfig config) : config_(config) {}

  // Feeds one probe round; returns the state to publish. `now` is wall time for changed_at.
  const NodeState& Observe(const Observation& obs, WallTime now);
  const NodeState& state() const { return state_; }

 private:
  void CountProbe(bool ok);
  // The warning reason of one good sample, or "" when it is clean.
  std::string DegradedReason(const Observation& obs) const;
  // Quantizes with a dead band around the last published bucket, so small wobbles stay put.
  int QuantizedWeight(double raw);
  NodeState Next(const Observation& obs);

  PolicyConfig config_;
  NodeState state_;
  bool seen_ = false;          // any probe so far
  bool up_ = false;            // hysteresis output: reachable
  bool degraded_ = false;      // hysteresis output: warning from samples
  int good_ = 0, bad_ = 0;     // consecutive probe successes / failures
  int clean_ = 0, dirty_ = 0;  // consecutive clean / degraded good samples
  int quantized_ = -1;         // last quantized weight while up; -1 after going down
  std::string down_reason_ = "starting";
  std::string degraded_reason_;
};

}  // namespace shardgate::agent
