// FleetPlayer: plays the agents of a synthetic cluster in Consul, without PostgreSQL: every
// node's registration and TTL check written as shardgate-agent writes them (the agent's own
// BuildRegistration and CheckOutput), and the state changes a bench drives through them.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "agent/policy.h"
#include "agent/publisher.h"
#include "common/clock.h"
#include "common/status.h"
#include "consul/client.h"
#include "model/range.h"

namespace shardgate::bench {

struct FleetShape {
  std::string cluster = "bench";
  int shards = 3;           // shard_1 .. shard_<shards>
  int nodes_per_shard = 3;  // n1 (the primary) .. n<nodes>; the others are replicas
  int first_port = 30000;   // node ports (nothing listens there: HAProxy's checks fail)
};

struct PlayedNode {
  agent::PublisherConfig config;
  agent::NodeState state;  // as last published
  int full_weight = 0;     // the weight it publishes when nothing is wrong
};

// One state change of the bench's cycle: which node and what it publishes next.
struct PlannedChange {
  size_t node = 0;
  agent::NodeState next;
};

// Not thread-safe. `client` must outlive the player.
class FleetPlayer {
 public:
  FleetPlayer(consul::Client& client, const FleetShape& shape);

  // Registers every node passing at its full weight (registration, then the check update).
  Status PublishAll();
  // Publishes `next` for one node as the agent does on a change: changed_at = now, the
  // registration, then a check update when the status changed (the dev Consul keeps a check's
  // status on re-registration, so the update is the write that carries a status change). Returns
  // when the write that carries the change returned.
  Result<SteadyTime> Publish(size_t node, agent::NodeState next);

  // Change number `i` of an endless cycle that takes one replica at a time through four
  // steps, each visible in its `<shard>_ro` server: half weight, critical (weight 0), passing
  // at half weight, full weight. At most one replica per fleet is critical at any time.
  PlannedChange Plan(long i) const;

  const std::vector<PlayedNode>& nodes() const { return nodes_; }
  const std::string& service() const { return service_; }
  const std::string& cluster() const { return cluster_; }
  std::vector<std::string> shard_names() const;

 private:
  consul::Client& client_;
  std::string cluster_;
  std::string service_;
  std::vector<PlayedNode> nodes_;
  std::vector<size_t> replicas_;
};

// `count` adjacent segments of 1,000 keys from 0, dealt to the shards in turn.
std::vector<model::Segment> DealtSegments(int count, const std::vector<std::string>& shards);

// Writes the cluster's rules document (one permanent rule per segment) to its KV key.
Status SeedRules(consul::Client& client, const std::string& cluster,
                 const std::vector<model::Segment>& segments);

}  // namespace shardgate::bench
