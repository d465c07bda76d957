// Role and Health names: every value round-trips, anything else is refused.
#include "model/node_status.h"

#include <doctest/doctest.h>

namespace shardgate::model {
namespace {

TEST_CASE("every role and health parses back from its name") {
  for (Role role : {Role::kUnknown, Role::kPrimary, Role::kReplica}) {
    CHECK(ParseRole(RoleName(role)) == role);
  }
  for (Health health : {Health::kPassing, Health::kWarning, Health::kCritical}) {
    CHECK(ParseHealth(HealthName(health)) == health);
  }
  CHECK(RoleName(Role::kReplica) == "replica");
  CHECK(HealthName(Health::kWarning) == "warning");
}

TEST_CASE("names are case-sensitive and exact") {
  for (std::string_view bad : {"", "Primary", "primary ", "master", "standby"}) {
    CHECK_FALSE(ParseRole(bad).has_value());
  }
  for (std::string_view bad : {"", "Passing", "maintenance", "ok", "critical\n"}) {
    CHECK_FALSE(ParseHealth(bad).has_value());
  }
}

}  // namespace
}  // namespace shardgate::model
