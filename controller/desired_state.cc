// Desired HAProxy state: primary fencing by timeline, replica weights, the backup primary.
#include "controller/desired_state.h"

#include <algorithm>

namespace shardgate::controller {
namespace {

using model::Health;
using model::NodeRecord;
using model::Role;

bool Up(const NodeRecord& node) { return node.health != Health::kCritical; }

DesiredServer Server(const NodeRecord& node, ServerMode mode) {
  return {node.node, node.address, node.port, node.weight, mode};
}

// Picks the writer among `nodes` (one shard, sorted by name) and fills primary, fenced,
// write_block and fence_timeline.
void ChooseWriter(const std::vector<const NodeRecord*>& nodes, int64_t remembered,
                  DesiredShard& shard) {
  shard.fence_timeline = remembered;
  for (const NodeRecord* node : nodes) {
    shard.fence_timeline = std::max(shard.fence_timeline, node->timeline);
  }
  std::vector<std::string> claimants;  // up primaries on the newest timeline
  for (const NodeRecord* node : nodes) {
    if (node->role != Role::kPrimary || !Up(*node)) continue;
    if (node->timeline < shard.fence_timeline) {
      shard.fenced.push_back(node->node);
    } else {
      claimants.push_back(node->node);
    }
  }
  if (claimants.size() == 1) {
    shard.primary = claimants.front();
    return;
  }
  if (claimants.empty()) {
    shard.write_block = WriteBlock::kNoPrimary;
    return;
  }
  // Writes must never go to two nodes: none of them gets any, and both lose their sessions.
  shard.write_block = WriteBlock::kSplitBrain;
  shard.fenced.insert(shard.fenced.end(), claimants.begin(), claimants.end());
  std::sort(shard.fenced.begin(), shard.fenced.end());
}

void FillBackends(const std::vector<const NodeRecord*>& nodes, DesiredShard& shard) {
  bool replica_serves = false;
  for (const NodeRecord* node : nodes) {
    if (node->role == Role::kReplica && Up(*node) && node->weight > 0) replica_serves = true;
  }
  for (const NodeRecord* node : nodes) {
    bool writer = shard.primary == node->node;
    shard.rw.push_back(Server(*node, writer ? ServerMode::kReady : ServerMode::kMaint));
    bool serves_reads = Up(*node) && (node->role == Role::kReplica || (writer && !replica_serves));
    shard.ro.push_back(Server(*node, serves_reads ? ServerMode::kReady : ServerMode::kMaint));
  }
}

}  // namespace

std::string_view ServerModeName(ServerMode mode) {
  switch (mode) {
    case ServerMode::kReady: return "ready";
    case ServerMode::kDrain: return "drain";
    case ServerMode::kMaint: return "maint";
  }
  return "maint";
}

std::string_view WriteBlockName(WriteBlock block) {
  switch (block) {
    case WriteBlock::kNone: return "none";
    case WriteBlock::kNoPrimary: return "no_primary";
    case WriteBlock::kSplitBrain: return "split_brain";
  }
  return "none";
}

std::vector<DesiredShard> ComputeDesired(const std::vector<model::NodeRecord>& nodes,
                                         const std::map<std::string, int64_t>& remembered_fences) {
  std::map<std::string, std::vector<const NodeRecord*>> by_shard;
  for (const NodeRecord& node : nodes) by_shard[node.shard].push_back(&node);
  std::vector<DesiredShard> out;
  for (auto& [name, members] : by_shard) {
    std::sort(members.begin(), members.end(),
              [](const NodeRecord* a, const NodeRecord* b) { return a->node < b->node; });
    DesiredShard shard;
    shard.shard = name;
    auto remembered = remembered_fences.find(name);
    ChooseWriter(members, remembered == remembered_fences.end() ? 0 : remembered->second, shard);
    FillBackends(members, shard);
    out.push_back(std::move(shard));
  }
  return out;
}

}  // namespace shardgate::controller
