// Role and Health names (see node_status.h).
#include "model/node_status.h"

namespace shardgate::model {

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kPrimary: return "primary";
    case Role::kReplica: return "replica";
    case Role::kUnknown: return "unknown";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : {Role::kUnknown, Role::kPrimary, Role::kReplica}) {
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

std::string_view HealthName(Health health) {
  switch (health) {
    case Health::kPassing: return "passing";
    case Health::kWarning: return "warning";
    case Health::kCritical: return "critical";
  }
  return "critical";
}

std::optional<Health> ParseHealth(std::string_view name) {
  for (Health health : {Health::kPassing, Health::kWarning, Health::kCritical}) {
    if (HealthName(health) == name) return health;
  }
  return std::nullopt;
}

}  // namespace shardgate::model
