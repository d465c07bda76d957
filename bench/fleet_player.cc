// Synthetic agents writing node records to Consul (see fleet_player.h).
#include "bench/fleet_player.h"

#include "controller/kv_layout.h"
#include "controller/routing_rules.h"

namespace shardgate::bench {
namespace {

consul::CheckStatus CheckStatusOf(model::Health health) {
  switch (health) {
    case model::Health::kPassing: return consul::CheckStatus::kPassing;
    case model::Health::kWarning: return consul::CheckStatus::kWarning;
    case model::Health::kCritical: return consul::CheckStatus::kCritical;
  }
  return consul::CheckStatus::kCritical;
}

agent::NodeState Passing(model::Role role, int weight) {
  agent::NodeState s;
  s.status = model::Health::kPassing;
  s.reason = "ok";
  s.weight = weight;
  s.role = role;
  s.timeline = 1;
  return s;
}

}  // namespace

FleetPlayer::FleetPlayer(consul::Client& client, const FleetShape& shape)
    : client_(client), cluster_(shape.cluster), service_("shardgate-" + shape.cluster) {
  for (int s = 1; s <= shape.shards; ++s) {
    for (int n = 1; n <= shape.nodes_per_shard; ++n) {
      PlayedNode node;
      node.config.cluster = cluster_;
      node.config.shard = "shard_" + std::to_string(s);
      node.config.node = "n" + std::to_string(n);
      node.config.service_name = service_;
      node.config.address = "127.0.0.1";
      node.config.port = shape.first_port + static_cast<int>(nodes_.size());
      // Long enough that no TTL expires during a bench: the player sends no heartbeats.
      node.config.ttl = std::chrono::minutes(30);
      node.config.deregister_after = std::chrono::minutes(30);
      // Distinct weights (100..250), so a server restored with another node's weight shows.
      node.full_weight = 100 + static_cast<int>(nodes_.size() * 37 % 151);
      const model::Role role = n == 1 ? model::Role::kPrimary : model::Role::kReplica;
      node.state = Passing(role, node.full_weight);
      if (role == model::Role::kReplica) replicas_.push_back(nodes_.size());
      nodes_.push_back(std::move(node));
    }
  }
}

Status FleetPlayer::PublishAll() {
  const WallTime now = std::chrono::system_clock::now();
  for (PlayedNode& node : nodes_) {
    node.state.changed_at = now;
    RETURN_IF_ERROR(client_.RegisterService(agent::BuildRegistration(node.config, node.state)));
    RETURN_IF_ERROR(client_.UpdateTtlCheck(agent::CheckId(node.config),
                                           CheckStatusOf(node.state.status),
                                           agent::CheckOutput(node.state)));
  }
  return Status::Ok();
}

Result<SteadyTime> FleetPlayer::Publish(size_t index, agent::NodeState next) {
  PlayedNode& node = nodes_.at(index);
  const bool status_changed = next.status != node.state.status;
  next.changed_at = std::chrono::system_clock::now();
  RETURN_IF_ERROR(client_.RegisterService(agent::BuildRegistration(node.config, next)));
  SteadyTime carried = std::chrono::steady_clock::now();
  if (status_changed) {
    RETURN_IF_ERROR(client_.UpdateTtlCheck(agent::CheckId(node.config), CheckStatusOf(next.status),
                                           agent::CheckOutput(next)));
    carried = std::chrono::steady_clock::now();
  }
  node.state = std::move(next);
  return carried;
}

PlannedChange FleetPlayer::Plan(long i) const {
  PlannedChange change;
  change.node = replicas_.at(static_cast<size_t>(i / 4) % replicas_.size());
  const PlayedNode& node = nodes_[change.node];
  change.next = node.state;
  switch (i % 4) {
    case 0: change.next.weight = node.full_weight / 2; break;
    case 1:
      change.next.status = model::Health::kCritical;
      change.next.reason = "probe_failed";
      change.next.weight = 0;  // what the agent publishes for a critical node
      break;
    case 2:
      change.next.status = model::Health::kPassing;
      change.next.reason = "ok";
      change.next.weight = node.full_weight / 2;
      break;
    default: change.next.weight = node.full_weight; break;
  }
  return change;
}

std::vector<std::string> FleetPlayer::shard_names() const {
  std::vector<std::string> names;
  for (const PlayedNode& node : nodes_) {
    if (names.empty() || names.back() != node.config.shard) names.push_back(node.config.shard);
  }
  return names;
}

std::vector<model::Segment> DealtSegments(int count, const std::vector<std::string>& shards) {
  std::vector<model::Segment> segments;
  for (int i = 0; i < count; ++i) {
    const int64_t lo = static_cast<int64_t>(i) * 1000;
    segments.push_back({lo, lo + 999, shards[static_cast<size_t>(i) % shards.size()]});
  }
  return segments;
}

Status SeedRules(consul::Client& client, const std::string& cluster,
                 const std::vector<model::Segment>& segments) {
  controller::RuleSet rules =
      controller::RuleSetFromSegments(segments, std::chrono::system_clock::now(), "bench");
  return client.Put(controller::RulesKey(cluster), controller::EncodeRuleSet(rules));
}

}  // namespace shardgate::bench
