// NodeRecord encoding and strict decoding (see node_record.h and docs/interfaces.md §3).
#include "model/node_record.h"

#include <algorithm>
#include <optional>
#include <type_traits>
#include <utility>

#include "common/numbers.h"
#include "model/text.h"

namespace shardgate::model {
namespace {

constexpr std::string_view kShardTag = "shard:";
constexpr std::string_view kRoleTag = "role:";

// The widest wall time (in ms) that WallTime can hold: larger meta values would overflow it.
constexpr int64_t kMaxWallMillis =
    std::chrono::duration_cast<Millis>(WallTime::duration::max()).count();

int64_t WallMillis(WallTime t) {
  return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
}

Status Malformed(const ServiceFields& f, std::string_view field, std::string_view why) {
  return ProtocolError("service '" + f.service_id + "': " + std::string(field) + " " +
                       std::string(why));
}

// The meta value under `key`, or a "missing" error.
Status Meta(const ServiceFields& f, const std::string& key, const std::string** out) {
  auto it = f.meta.find(key);
  if (it == f.meta.end()) return Malformed(f, "meta " + key, "is missing");
  *out = &it->second;
  return Status::Ok();
}

Status MetaName(const ServiceFields& f, const std::string& key, std::string* out) {
  const std::string* value = nullptr;
  RETURN_IF_ERROR(Meta(f, key, &value));
  if (!IsName(*value)) {
    return Malformed(f, "meta " + key, "'" + *value + "' must match [A-Za-z0-9_.-]+");
  }
  *out = *value;
  return Status::Ok();
}

template <typename T>
Status MetaNumber(const ServiceFields& f, const std::string& key, T* out) {
  const std::string* value = nullptr;
  RETURN_IF_ERROR(Meta(f, key, &value));
  if (!ParseInteger(*value, out)) {
    const char* kind = std::is_signed_v<T> ? "a signed" : "an unsigned";
    return Malformed(f, "meta " + key, "'" + *value + "' is not " + kind + " 64-bit integer");
  }
  return Status::Ok();
}

// The value of the one tag that starts with `prefix`; a missing or repeated tag is an error.
Status OneTag(const ServiceFields& f, std::string_view prefix, std::string_view* out) {
  int seen = 0;
  for (const std::string& tag : f.tags) {
    if (!tag.starts_with(prefix)) continue;
    *out = std::string_view(tag).substr(prefix.size());
    ++seen;
  }
  std::string field = "tag " + std::string(prefix) + "<value>";
  if (seen == 0) return Malformed(f, field, "is missing");
  if (seen > 1) return Malformed(f, field, "appears " + std::to_string(seen) + " times");
  return Status::Ok();
}

// cluster, shard, node and role from the meta; the ID and the tags must agree with them.
Status DecodeIdentity(const ServiceFields& f, NodeRecord* r) {
  for (auto [key, field] : {std::pair{"cluster", &r->cluster}, std::pair{"shard", &r->shard},
                            std::pair{"node", &r->node}}) {
    RETURN_IF_ERROR(MetaName(f, key, field));
  }
  std::string id = ServiceId(r->cluster, r->shard, r->node);
  if (f.service_id != id) {
    return Malformed(f, "ID", "is not '" + id + "' (from meta cluster, shard, node)");
  }
  const std::string* role = nullptr;
  RETURN_IF_ERROR(Meta(f, "role", &role));
  std::optional<Role> parsed = ParseRole(*role);
  if (!parsed) {
    return Malformed(f, "meta role", "'" + *role + "' is not primary, replica or unknown");
  }
  r->role = *parsed;
  std::string_view shard_tag, role_tag;
  RETURN_IF_ERROR(OneTag(f, kShardTag, &shard_tag));
  RETURN_IF_ERROR(OneTag(f, kRoleTag, &role_tag));
  if (shard_tag != r->shard) {
    return Malformed(f, "tag shard:<value>", "disagrees with meta shard '" + r->shard + "'");
  }
  if (role_tag != *role) {
    return Malformed(f, "tag role:<value>", "disagrees with meta role '" + *role + "'");
  }
  return Status::Ok();
}

Status DecodeFigures(const ServiceFields& f, NodeRecord* r) {
  int64_t lag_ms = 0, changed_ms = 0;
  RETURN_IF_ERROR(MetaNumber(f, "timeline", &r->timeline));
  RETURN_IF_ERROR(MetaNumber(f, "lag_bytes", &r->lag_bytes));
  RETURN_IF_ERROR(MetaNumber(f, "lag_ms", &lag_ms));
  RETURN_IF_ERROR(MetaNumber(f, "changed_at", &changed_ms));
  if (changed_ms > kMaxWallMillis || changed_ms < -kMaxWallMillis) {
    return Malformed(f, "meta changed_at", "'" + std::to_string(changed_ms) + "' is out of range");
  }
  r->lag = Millis(lag_ms);
  r->changed_at = WallTime(Millis(changed_ms));
  return Status::Ok();
}

Status DecodeWeights(const ServiceFields& f, NodeRecord* r) {
  if (f.weight_warning < 0 || f.weight_warning > kMaxWeight) {
    return Malformed(f, "Weights.Warning", std::to_string(f.weight_warning) + " is not in 0..256");
  }
  if (f.weight_passing != std::max(f.weight_warning, 1)) {
    return Malformed(f, "Weights.Passing",
                     std::to_string(f.weight_passing) + " is not max(Weights.Warning, 1)");
  }
  r->weight = f.weight_warning;
  return Status::Ok();
}

Status DecodeEndpoint(const ServiceFields& f, NodeRecord* r) {
  if (f.address.empty()) return Malformed(f, "Address", "is empty");
  if (f.port < 1 || f.port > 65535) {
    return Malformed(f, "Port", std::to_string(f.port) + " is not in 1..65535");
  }
  std::optional<Health> health = ParseHealth(f.check_status);
  if (!health) {
    return Malformed(f, "check status",
                     "'" + f.check_status + "' is not passing, warning or critical");
  }
  r->address = f.address;
  r->port = f.port;
  r->health = *health;
  return Status::Ok();
}

}  // namespace

std::string ServiceId(std::string_view cluster, std::string_view shard, std::string_view node) {
  std::string id;
  id.reserve(cluster.size() + shard.size() + node.size() + 2);
  id.append(cluster).append("-").append(shard).append("-").append(node);
  return id;
}

std::string CheckId(std::string_view service_id) { return "service:" + std::string(service_id); }

ServiceFields EncodeNodeRecord(const NodeRecord& r) {
  ServiceFields f;
  f.service_id = ServiceId(r.cluster, r.shard, r.node);
  f.address = r.address;
  f.port = r.port;
  std::string role(RoleName(r.role));
  f.tags = {std::string(kShardTag) + r.shard, std::string(kRoleTag) + role};
  f.meta = {{"cluster", r.cluster},
            {"shard", r.shard},
            {"node", r.node},
            {"role", role},
            {"timeline", std::to_string(r.timeline)},
            {"lag_bytes", std::to_string(r.lag_bytes)},
            {"lag_ms", std::to_string(r.lag.count())},
            {"changed_at", std::to_string(WallMillis(r.changed_at))}};
  f.weight_passing = std::max(r.weight, 1);
  f.weight_warning = r.weight;
  f.check_status = std::string(HealthName(r.health));
  return f;
}

Result<NodeRecord> DecodeNodeRecord(const ServiceFields& fields) {
  NodeRecord record;
  RETURN_IF_ERROR(DecodeIdentity(fields, &record));
  RETURN_IF_ERROR(DecodeFigures(fields, &record));
  RETURN_IF_ERROR(DecodeWeights(fields, &record));
  RETURN_IF_ERROR(DecodeEndpoint(fields, &record));
  return record;
}

}  // namespace shardgate::model
