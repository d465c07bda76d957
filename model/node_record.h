// NodeRecord: what one node's Consul service instance says (written by the agent, read by the
// controller), and its encoding into and decoding from Consul's service fields.
// docs/interfaces.md §3 describes every field.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "model/node_status.h"

namespace shardgate::model {

// Weights are HAProxy server weights: 0 (no new connections) .. 256.
inline constexpr int kMaxWeight = 256;

struct NodeRecord {
  std::string cluster;  // [A-Za-z0-9_.-]+, like shard and node
  std::string shard;
  std::string node;
  std::string address;  // where clients reach the PostgreSQL node
  int port = 0;         // 1..65535
  Role role = Role::kUnknown;
  Health health = Health::kCritical;
  int64_t timeline = 0;
  int weight = 0;  // 0..kMaxWeight
  uint64_t lag_bytes = 0;
  Millis lag{0};
  WallTime changed_at{};  // whole milliseconds survive the encoding, finer parts do not
  bool operator==(const NodeRecord&) const = default;
};

// The record as Consul's service instance carries it: plain values, so that model/ needs no
// Consul types. The agent copies them into its registration; the controller fills them from
// the health endpoint.
struct ServiceFields {
  std::string service_id;
  std::string address;  // the controller substitutes the node's address when the service has none
  int port = 0;
  std::vector<std::string> tags;
  std::map<std::string, std::string> meta;
  int weight_passing = 1;  // Consul's Weights.Passing
  int weight_warning = 1;  // Consul's Weights.Warning
  // The instance's aggregated check status: "passing", "warning" or "critical" (worst of its
  // checks; the agent's TTL check is the one that matters).
  std::string check_status;
  bool operator==(const ServiceFields&) const = default;
};

// "<cluster>-<shard>-<node>". Names may contain '-', so an ID is not split back into names:
// decoding rebuilds it from the meta names and compares.
std::string ServiceId(std::string_view cluster, std::string_view shard, std::string_view node);
// "service:<service_id>", the ID Consul gives the service's own TTL check.
std::string CheckId(std::string_view service_id);

// Encodes a record: tags shard:<s>, role:<r>; meta cluster, shard, node, role, timeline,
// lag_bytes, lag_ms, changed_at (wall ms); Weights.Passing = max(weight, 1) because Consul
// refuses 0, Weights.Warning = weight; check_status = HealthName(health).
// REQUIRES: names match [A-Za-z0-9_.-]+, 0 <= weight <= kMaxWeight.
ServiceFields EncodeNodeRecord(const NodeRecord& record);

// Decodes what EncodeNodeRecord wrote, strictly: a missing or malformed field, a tag that
// disagrees with the meta, or a service ID that is not the one the names give is a kProtocol
// error "service <id>: <field> ..." naming the field, so the caller can skip and count it.
// Unknown tags and meta keys are ignored (room for later additions).
Result<NodeRecord> DecodeNodeRecord(const ServiceFields& fields);

}  // namespace shardgate::model
