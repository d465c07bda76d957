// Publisher: keeps the local Consul agent's registration and TTL check in line with NodeState,
// writing only on change plus heartbeats, and backing off while Consul is unreachable.
#pragma once

#include <cstdint>
#include <random>
#include <string>

#include "agent/policy.h"
#include "common/clock.h"
#include "common/status.h"
#include "consul/client.h"

namespace shardgate::agent {

struct PublisherConfig {
  std::string cluster;
  std::string shard;
  std::string node;
  std::string service_name;  // e.g. "shardgate-orders"
  std::string address;       // PostgreSQL address published for clients
  int port = 5432;
  Millis ttl{std::chrono::seconds(10)};
  Millis deregister_after{std::chrono::minutes(1)};
  Millis heartbeat{std::chrono::milliseconds(3333)};  // well inside ttl (ttl / 3 by default)
  Millis backoff_min{std::chrono::milliseconds(200)};
  Millis backoff_max{std::chrono::seconds(5)};
  bool deregister_on_exit = false;  // SIGTERM: deregister instead of marking critical
  uint32_t jitter_seed = 1;
};

// "<cluster>-<shard>-<node>" and "service:<ID>" (model::ServiceId, model::CheckId).
std::string ServiceId(const PublisherConfig& config);
std::string CheckId(const PublisherConfig& config);

// The registration for `state`: the node record's service ID, tags, meta and weights
// (model::EncodeNodeRecord; docs/interfaces.md §3) under `service_name`, and a TTL check
// carrying the state's status.
consul::ServiceRegistration BuildRegistration(const PublisherConfig& config,
                                              const NodeState& state);

// The TTL check's output: "<reason> role=<r> weight=<w> lag_bytes=<n> lag_ms=<n>".
std::string CheckOutput(const NodeState& state);

struct PublisherStats {
  uint64_t registrations = 0;
  uint64_t check_updates = 0;
  uint64_t errors = 0;
  bool consul_up = false;
  bool maintenance = false;  // Consul maintenance mode on our service, as last read
  WallTime last_success{};   // wall time of the last accepted write
};

// Not thread-safe: one publishing thread calls Step and then Shutdown; `client` (thread-safe)
// and `clock` must outlive the publisher.
class Publisher {
 public:
  Publisher(consul::Client& client, const Clock& clock, PublisherConfig config);

  // Brings Consul in line with `desired`: registers when it never did, when Consul lost the
  // registration (404 on a check update, or the agent no longer lists it) or when the
  // registration's content changed (status, role, timeline, weight); updates the check on a
  // status change and as a heartbeat. Steady state costs one check update (plus one read of the
  // local agent for maintenance mode) per heartbeat. After an error it does nothing until the
  // jittered, exponentially growing backoff has passed.
  // Returns when it wants to be called again (the caller also calls at once on a new state).
  SteadyTime Step(const NodeState& desired);

  // SIGTERM: marks the check critical (or deregisters, per config) with one request.
  Status Shutdown();

  // Whether Consul maintenance mode is on for our service (last read).
  bool maintenance() const { return maintenance_; }
  const PublisherStats& stats() const { return stats_; }

 private:
  Status Register(const NodeState& desired);
  Status UpdateCheck(const NodeState& desired);
  Status PollAgent();
  Status Sync(const NodeState& desired, SteadyTime now);
  SteadyTime Backoff(SteadyTime now, const Status& why);
  void Succeeded();

  consul::Client& client_;
  const Clock& clock_;
  const PublisherConfig config_;
  const std::string service_id_;
  const std::string check_id_;
  std::mt19937 rng_;

  bool registered_ = false;
  NodeState registered_state_;  // what the registration carries
  bool checked_ = false;
  Health checked_status_ = Health::kCritical;
  SteadyTime last_check_{};
  SteadyTime last_poll_{};
  bool maintenance_ = false;
  int failures_ = 0;
  SteadyTime retry_at_{};
  PublisherStats stats_;
};

}  // namespace shardgate::agent
