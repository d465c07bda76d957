// Desired state: who writes (timeline fencing, split brain), who reads, and with which weight.
#include "controller/desired_state.h"

#include <doctest/doctest.h>

#include <random>

namespace shardgate::controller {
namespace {

using model::Health;
using model::NodeRecord;
using model::Role;

NodeRecord Node(std::string shard, std::string node, Role role, int64_t timeline,
                Health health = Health::kPassing, int weight = 256) {
  NodeRecord r;
  r.cluster = "demo";
  r.shard = std::move(shard);
  r.node = std::move(node);
  r.address = "127.0.0.1";
  r.port = 5400 + int(r.node.size());
  r.role = role;
  r.health = health;
  r.timeline = timeline;
  r.weight = weight;
  return r;
}

const DesiredServer& Find(const std::vector<DesiredServer>& servers, const std::string& name) {
  for (const DesiredServer& s : servers) {
    if (s.name == name) return s;
  }
  FAIL("no server " << name);
  return servers.front();
}

TEST_CASE("a healthy primary and replica: the primary writes, the replica reads") {
  auto shards = ComputeDesired(
      {Node("s1", "n1", Role::kPrimary, 1), Node("s1", "n2", Role::kReplica, 1)}, {});
  REQUIRE(shards.size() == 1);
  const DesiredShard& s = shards[0];
  CHECK(s.primary == "n1");
  CHECK(s.write_block == WriteBlock::kNone);
  CHECK(s.fenced.empty());
  CHECK(Find(s.rw, "n1").mode == ServerMode::kReady);
  CHECK(Find(s.rw, "n2").mode == ServerMode::kMaint);
  CHECK(Find(s.ro, "n2").mode == ServerMode::kReady);
  CHECK(Find(s.ro, "n1").mode == ServerMode::kMaint);
}

TEST_CASE("an old primary back on an older timeline is fenced and the promoted one writes") {
  auto shards = ComputeDesired(
      {Node("s1", "n1", Role::kPrimary, 1), Node("s1", "n2", Role::kPrimary, 2)}, {});
  const DesiredShard& s = shards[0];
  CHECK(s.primary == "n2");
  CHECK(s.fenced == std::vector<std::string>{"n1"});
  CHECK(s.fence_timeline == 2);
  CHECK(Find(s.rw, "n1").mode == ServerMode::kMaint);
  CHECK(Find(s.ro, "n1").mode == ServerMode::kMaint);
}

TEST_CASE("a remembered newer timeline fences a stale primary even when the new one is gone") {
  auto shards = ComputeDesired({Node("s1", "n1", Role::kPrimary, 1)}, {{"s1", 2}});
  const DesiredShard& s = shards[0];
  CHECK_FALSE(s.primary.has_value());
  CHECK(s.write_block == WriteBlock::kNoPrimary);
  CHECK(s.fenced == std::vector<std::string>{"n1"});
}

TEST_CASE("a replica's newer timeline fences a primary on an older one") {
  auto shards = ComputeDesired(
      {Node("s1", "n1", Role::kPrimary, 1), Node("s1", "n2", Role::kReplica, 2)}, {});
  CHECK_FALSE(shards[0].primary.has_value());
  CHECK(shards[0].fenced == std::vector<std::string>{"n1"});
}

TEST_CASE("two primaries on the same newest timeline get no writes and both are fenced") {
  auto shards = ComputeDesired(
      {Node("s1", "n1", Role::kPrimary, 3), Node("s1", "n2", Role::kPrimary, 3)}, {});
  const DesiredShard& s = shards[0];
  CHECK_FALSE(s.primary.has_value());
  CHECK(s.write_block == WriteBlock::kSplitBrain);
  CHECK(s.fenced == std::vector<std::string>{"n1", "n2"});
  CHECK(Find(s.rw, "n1").mode == ServerMode::kMaint);
  CHECK(Find(s.rw, "n2").mode == ServerMode::kMaint);
}

TEST_CASE("a critical primary leaves the shard without a writer but is not fenced") {
  auto shards = ComputeDesired({Node("s1", "n1", Role::kPrimary, 1, Health::kCritical),
                                Node("s1", "n2", Role::kReplica, 1)},
                               {});
  CHECK(shards[0].write_block == WriteBlock::kNoPrimary);
  CHECK(shards[0].fenced.empty());
}

TEST_CASE("a warning replica reads at its reduced weight and a critical one is taken out") {
  auto shards = ComputeDesired({Node("s1", "n1", Role::kPrimary, 1),
                                Node("s1", "n2", Role::kReplica, 1, Health::kWarning, 64),
                                Node("s1", "n3", Role::kReplica, 1, Health::kCritical)},
                               {});
  const DesiredShard& s = shards[0];
  CHECK(Find(s.ro, "n2").mode == ServerMode::kReady);
  CHECK(Find(s.ro, "n2").weight == 64);
  CHECK(Find(s.ro, "n3").mode == ServerMode::kMaint);
  CHECK(Find(s.ro, "n1").mode == ServerMode::kMaint);
}

TEST_CASE("the primary serves reads only when no replica can") {
  auto shards = ComputeDesired({Node("s1", "n1", Role::kPrimary, 1),
                                Node("s1", "n2", Role::kReplica, 1, Health::kCritical)},
                               {});
  CHECK(Find(shards[0].ro, "n1").mode == ServerMode::kReady);
  CHECK(Find(shards[0].ro, "n1").weight == 256);
}

TEST_CASE("random fleets never give a shard two writers and never let a stale primary write") {
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    std::vector<NodeRecord> nodes;
    int n = 1 + int(rng() % 5);
    for (int i = 0; i < n; ++i) {
      Role role = rng() % 2 ? Role::kPrimary : Role::kReplica;
      Health health = Health(rng() % 3);
      nodes.push_back(Node("s" + std::to_string(rng() % 2), "n" + std::to_string(i), role,
                           1 + int64_t(rng() % 3), health, int(rng() % 257)));
    }
    std::map<std::string, int64_t> remembered = {{"s0", int64_t(rng() % 4)}};
    for (const DesiredShard& s : ComputeDesired(nodes, remembered)) {
      int writers = 0;
      for (const DesiredServer& server : s.rw) writers += server.mode == ServerMode::kReady;
      CHECK(writers == (s.primary ? 1 : 0));
      for (const NodeRecord& node : nodes) {
        if (node.shard != s.shard) continue;
        CHECK(node.timeline <= s.fence_timeline);
        if (s.primary == node.node) {
          CHECK(node.role == Role::kPrimary);
          CHECK(node.timeline == s.fence_timeline);
          CHECK(node.health != Health::kCritical);
        }
        if (node.health == Health::kCritical)
          CHECK(Find(s.ro, node.node).mode == ServerMode::kMaint);
      }
    }
  }
}

}  // namespace
}  // namespace shardgate::controller
