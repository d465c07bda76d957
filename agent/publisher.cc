// Publisher: registration/check writes on change, heartbeats, re-registration and backoff.
#include "agent/publisher.h"

#include <algorithm>

#include "common/log.h"
#include "model/node_record.h"

namespace shardgate::agent {
namespace {

consul::CheckStatus ToConsul(Health h) {
  switch (h) {
    case Health::kPassing: return consul::CheckStatus::kPassing;
    case Health::kWarning: return consul::CheckStatus::kWarning;
    case Health::kCritical: return consul::CheckStatus::kCritical;
  }
  return consul::CheckStatus::kCritical;
}

model::NodeRecord Record(const PublisherConfig& config, const NodeState& state) {
  model::NodeRecord r;
  r.cluster = config.cluster;
  r.shard = config.shard;
  r.node = config.node;
  r.address = config.address;
  r.port = config.port;
  r.role = state.role;
  r.health = state.status;
  r.timeline = state.timeline;
  r.weight = state.weight;
  r.lag_bytes = state.lag_bytes;
  r.lag = state.lag;
  r.changed_at = state.changed_at;
  return r;
}

}  // namespace

std::string ServiceId(const PublisherConfig& config) {
  return model::ServiceId(config.cluster, config.shard, config.node);
}

std::string CheckId(const PublisherConfig& config) { return model::CheckId(ServiceId(config)); }

consul::ServiceRegistration BuildRegistration(const PublisherConfig& config,
                                              const NodeState& state) {
  model::ServiceFields fields = model::EncodeNodeRecord(Record(config, state));
  consul::ServiceRegistration reg;
  reg.id = std::move(fields.service_id);
  reg.name = config.service_name;
  reg.tags = std::move(fields.tags);
  reg.address = std::move(fields.address);
  reg.port = fields.port;
  reg.meta = std::move(fields.meta);
  reg.weights.passing = fields.weight_passing;
  reg.weights.warning = fields.weight_warning;
  consul::TtlCheck check;
  check.ttl = config.ttl;
  check.deregister_critical_service_after = config.deregister_after;
  check.status = ToConsul(state.status);
  check.notes = "shardgate-agent probe of " + config.node;
  reg.check = check;
  return reg;
}

std::string CheckOutput(const NodeState& state) {
  return state.reason + " role=" + std::string(RoleName(state.role)) +
         " weight=" + std::to_string(state.weight) +
         " lag_bytes=" + std::to_string(state.lag_bytes) +
         " lag_ms=" + std::to_string(state.lag.count());
}

Publisher::Publisher(consul::Client& client, const Clock& clock, PublisherConfig config)
    : client_(client),
      clock_(clock),
      config_(std::move(config)),
      service_id_(ServiceId(config_)),
      check_id_(CheckId(config_)),
      rng_(config_.jitter_seed) {}

Status Publisher::Register(const NodeState& desired) {
  RETURN_IF_ERROR(client_.RegisterService(BuildRegistration(config_, desired)));
  ++stats_.registrations;
  stats_.last_success = clock_.WallNow();
  registered_ = true;
  registered_state_ = desired;
  checked_ = false;
  Log(LogLevel::kInfo, "consul_registered",
      {{"service_id", service_id_},
       {"status", std::string(HealthName(desired.status))},
       {"role", std::string(RoleName(desired.role))},
       {"weight", std::to_string(desired.weight)}});
  return Status::Ok();
}

Status Publisher::UpdateCheck(const NodeState& desired) {
  Status s = client_.UpdateTtlCheck(check_id_, ToConsul(desired.status), CheckOutput(desired));
  if (s.ok()) {
    ++stats_.check_updates;
    stats_.last_success = clock_.WallNow();
  }
  return s;
}

Status Publisher::PollAgent() {
  ASSIGN_OR_RETURN(auto service, client_.AgentService(service_id_));
  bool maintenance = service.has_value() && service->in_maintenance;
  if (maintenance != maintenance_) {
    Log(LogLevel::kInfo, "consul_maintenance",
        {{"service_id", service_id_}, {"enabled", maintenance ? "true" : "false"}});
  }
  maintenance_ = maintenance;
  stats_.maintenance = maintenance;
  // The agent forgot us (restarted without state, or reaped after a long critical spell).
  if (!service.has_value()) registered_ = false;
  return Status::Ok();
}

Status Publisher::Sync(const NodeState& desired, SteadyTime now) {
  if (last_poll_ == SteadyTime{} || now >= last_poll_ + config_.heartbeat) {
    RETURN_IF_ERROR(PollAgent());
    last_poll_ = now;
  }
  if (!registered_ || StateChanged(registered_state_, desired)) {
    RETURN_IF_ERROR(Register(desired));
  }
  if (checked_ && checked_status_ == desired.status && now < last_check_ + config_.heartbeat) {
    return Status::Ok();
  }
  Status s = UpdateCheck(desired);
  if (s.code() == Code::kNotFound) {
    // Consul lost the check (agent restart, reaped service): register again, then update.
    Log(LogLevel::kWarn, "consul_check_lost", {{"check_id", check_id_}});
    s = Register(desired);
    if (s.ok()) s = UpdateCheck(desired);
  }
  RETURN_IF_ERROR(s);
  checked_ = true;
  checked_status_ = desired.status;
  last_check_ = now;
  return Status::Ok();
}

SteadyTime Publisher::Backoff(SteadyTime now, const Status& why) {
  ++stats_.errors;
  stats_.consul_up = false;
  ++failures_;
  Millis delay = config_.backoff_min * (1LL << std::min(failures_ - 1, 16));
  delay = std::min(delay, config_.backoff_max);
  // Full-range jitter over [delay/2, delay] so agents restarted together do not retry together.
  std::uniform_int_distribution<int64_t> dist(delay.count() / 2, delay.count());
  retry_at_ = now + Millis(dist(rng_));
  Log(LogLevel::kWarn, "consul_publish_failed",
      {{"error", why.ToString()}, {"retry_in_ms", std::to_string((retry_at_ - now) / Millis(1))}});
  return retry_at_;
}

void Publisher::Succeeded() {
  if (failures_ > 0) {
    Log(LogLevel::kInfo, "consul_publish_recovered",
        {{"after_failures", std::to_string(failures_)}});
  }
  failures_ = 0;
  stats_.consul_up = true;
}

SteadyTime Publisher::Step(const NodeState& desired) {
  SteadyTime now = clock_.Now();
  if (now < retry_at_) return retry_at_;
  Status s = Sync(desired, now);
  if (!s.ok()) return Backoff(now, s);
  Succeeded();
  return std::min(last_check_, last_poll_) + config_.heartbeat;
}

Status Publisher::Shutdown() {
  Status s = config_.deregister_on_exit
                 ? client_.DeregisterService(service_id_)
                 : client_.UpdateTtlCheck(check_id_, consul::CheckStatus::kCritical,
                                          "agent stopped");
  // Nothing registered means nothing to withdraw.
  if (s.code() == Code::kNotFound) return Status::Ok();
  return s;
}

}  // namespace shardgate::agent
