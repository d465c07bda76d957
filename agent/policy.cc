// Health policy (pure): see policy.h and docs/agent.md "Policy".
#include "agent/policy.h"

#include <algorithm>
#include <cmath>

namespace shardgate::agent {
namespace {

// A lagging replica (or a node with a queue in front) keeps at least this share of its weight
// until it becomes critical: it is still the freshest copy some readers can get.
constexpr double kMinFactor = 0.25;
// A new bucket is taken only when the raw weight is this many steps away from the current one.
constexpr double kDeadBand = 0.75;

double Factor(double fraction) { return 1.0 - (1.0 - kMinFactor) * std::clamp(fraction, 0.0, 1.0); }

double Saturation(const ProbeSample& s) {
  return s.max_connections > 0 ? static_cast<double>(s.backends) / s.max_connections : 0.0;
}

std::string DownReason(const Status& status) {
  switch (status.code()) {
    case Code::kTimeout: return "hung";
    case Code::kUnavailable: return "down";
    default: return "probe_error";
  }
}

}  // namespace

bool StateChanged(const NodeState& a, const NodeState& b) {
  return a.status != b.status || a.role != b.role || a.timeline != b.timeline ||
         a.weight != b.weight;
}

double RawWeight(const PolicyConfig& config, const ProbeSample& sample,
                 const std::optional<PoolSample>& pool) {
  double lag = 0;
  if (sample.role == Role::kReplica) {
    lag = std::max(
        static_cast<double>(sample.lag_bytes) / static_cast<double>(config.lag_warn_bytes),
        static_cast<double>(sample.lag.count()) / static_cast<double>(config.lag_warn.count()));
  }
  double sat = Saturation(sample);
  double f_sat = sat <= config.saturation_soft
                     ? 1.0
                     : std::max(0.0, (1.0 - sat) / (1.0 - config.saturation_soft));
  double f_pool = 1.0;
  if (pool) {
    f_pool = Factor(std::max(static_cast<double>(pool->cl_waiting) /
                                 static_cast<double>(config.pool_waiting_warn),
                             static_cast<double>(pool->maxwait.count()) /
                                 static_cast<double>(config.pool_maxwait_warn.count())));
  }
  return kMaxWeight * Factor(lag) * f_sat * f_pool;
}

void Policy::CountProbe(bool ok) {
  bool first = !seen_;
  seen_ = true;
  if (ok) {
    ++good_;
    bad_ = 0;
    // The first probe decides at once: there is no earlier state worth protecting.
    if (!up_ && (first || good_ >= config_.rise)) up_ = true;
    return;
  }
  ++bad_;
  good_ = 0;
  if (up_ && bad_ >= config_.fall) up_ = false;
  if (!up_) quantized_ = -1;
}

std::string Policy::DegradedReason(const Observation& obs) const {
  const ProbeSample& s = obs.sample;
  if (s.lag_bytes >= config_.lag_warn_bytes || s.lag >= config_.lag_warn) return "lagging";
  if (Saturation(s) >= config_.saturation_warn) return "saturated";
  if (obs.pool && (obs.pool->cl_waiting >= config_.pool_waiting_warn ||
                   obs.pool->maxwait >= config_.pool_maxwait_warn)) {
    return "pool_queue";
  }
  return "";
}

int Policy::QuantizedWeight(double raw) {
  double step = static_cast<double>(kMaxWeight) / config_.weight_buckets;
  if (quantized_ >= 0 && std::abs(raw - quantized_) < kDeadBand * step) return quantized_;
  quantized_ = std::clamp(static_cast<int>(std::lround(raw / step) * step), 0, kMaxWeight);
  return quantized_;
}

NodeState Policy::Next(const Observation& obs) {
  NodeState next = state_;
  if (!up_) {
    next.status = Health::kCritical;
    next.reason = down_reason_;
    next.weight = 0;
    return next;
  }
  if (obs.probe_status.ok()) {
    next.role = obs.sample.role;
    next.timeline = obs.sample.timeline;
    next.lag_bytes = obs.sample.lag_bytes;
    next.lag = obs.sample.lag;
    next.weight = QuantizedWeight(RawWeight(config_, obs.sample, obs.pool));
  }
  next.status = Health::kPassing;
  next.reason = "ok";
  if (obs.maintenance) {
    next.status = Health::kWarning;
    next.reason = "draining";
    next.weight = 0;
  } else if (degraded_) {
    next.status = Health::kWarning;
    next.reason = degraded_reason_;
  } else if (next.weight == 0) {
    // Consul refuses Weights.Passing = 0, and 0 means "no new connections" anyway.
    next.status = Health::kWarning;
    next.reason = "no_weight";
  }
  return next;
}

const NodeState& Policy::Observe(const Observation& obs, WallTime now) {
  bool first = !seen_;
  CountProbe(obs.probe_status.ok());
  if (!obs.probe_status.ok()) {
    down_reason_ = DownReason(obs.probe_status);
  } else {
    std::string reason = DegradedReason(obs);
    if (!reason.empty()) {
      clean_ = 0;
      ++dirty_;
      degraded_reason_ = reason;
      if (first || dirty_ >= config_.fall) degraded_ = true;
    } else {
      dirty_ = 0;
      ++clean_;
      if (clean_ >= config_.rise) degraded_ = false;
    }
  }
  NodeState next = Next(obs);
  next.changed_at = state_.changed_at;
  if (first || StateChanged(next, state_)) next.changed_at = std::max(state_.changed_at, now);
  state_ = std::move(next);
  return state_;
}

}  // namespace shardgate::agent
