// Role and Health: the two enumerations a node's Consul record carries, with their wire names.
#pragma once

#include <optional>
#include <string_view>

namespace shardgate::model {

enum class Role { kUnknown, kPrimary, kReplica };

// "unknown", "primary", "replica": the same text in tags, meta, logs and metrics.
std::string_view RoleName(Role role);
// Inverse of RoleName; nullopt for any other text (case-sensitive).
std::optional<Role> ParseRole(std::string_view name);

enum class Health { kPassing, kWarning, kCritical };

// "passing", "warning", "critical": Consul's own words, used in logs and metrics too.
std::string_view HealthName(Health health);
// Inverse of HealthName; nullopt for any other text (Consul's "maintenance" included: the
// caller folds maintenance into critical before asking).
std::optional<Health> ParseHealth(std::string_view name);

}  // namespace shardgate::model
