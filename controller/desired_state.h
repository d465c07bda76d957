// Desired HAProxy state per shard, computed from the nodes' Consul records (pure).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/node_record.h"

namespace shardgate::controller {

// What a server should be in HAProxy. HAProxy's words: `set server <b>/<s> state <mode>`.
enum class ServerMode { kReady, kDrain, kMaint };
std::string_view ServerModeName(ServerMode mode);

struct DesiredServer {
  std::string name;  // the node name: servers are named after nodes in both backends
  std::string address;
  int port = 0;
  int weight = 0;  // 0..256, meaningful when kReady
  ServerMode mode = ServerMode::kMaint;
  bool operator==(const DesiredServer&) const = default;
};

// Why a shard has no writable server, as a stable short code (logs, metrics, tests).
enum class WriteBlock {
  kNone,        // one primary serves writes
  kNoPrimary,   // no node of the newest timeline claims primary and is up
  kSplitBrain,  // two or more up nodes claim primary on the newest timeline
};
std::string_view WriteBlockName(WriteBlock block);

struct DesiredShard {
  std::string shard;
  // The node that takes writes, or none (see `write_block`).
  std::optional<std::string> primary;
  WriteBlock write_block = WriteBlock::kNone;
  // Nodes that claim primary but must not take writes: an older timeline than the shard's
  // newest, or a split brain. Their open sessions are to be shut down.
  std::vector<std::string> fenced;
  // The newest timeline seen for this shard (from any node, or remembered): the fence.
  int64_t fence_timeline = 0;
  // Every node of the shard, in node-name order, in each backend.
  std::vector<DesiredServer> rw;  // only the primary kReady
  std::vector<DesiredServer> ro;  // replicas by health; the primary only when no replica serves
  bool operator==(const DesiredShard&) const = default;
};

// Computes every shard's desired state.
// - `nodes`: the decoded records of one cluster (health already reflects Consul's checks,
//   maintenance included as critical).
// - `remembered_fences`: the newest timeline seen per shard in earlier rounds, so that a
//   stale primary that comes back after the newer one vanished from Consul stays fenced.
// A node is "up" when its health is passing or warning. rw: among the up nodes that claim
// primary on the shard's newest timeline exactly one wins; none or several -> no writable
// server. ro: up replicas at their published weight (warning nodes publish a reduced one);
// critical nodes kMaint (established sessions stay; only new connections go elsewhere); the
// primary kReady only when no replica can serve.
std::vector<DesiredShard> ComputeDesired(const std::vector<model::NodeRecord>& nodes,
                                         const std::map<std::string, int64_t>& remembered_fences);

}  // namespace shardgate::controller
