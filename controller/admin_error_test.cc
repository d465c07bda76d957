// The admin error document.
#include "controller/admin_error.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

namespace shardgate::controller {
namespace {

TEST_CASE("an error document carries code, message and the field when one applies") {
  AdminError with_field = BadRequest("invalid_ttl", "ttl 0 is not ...", "ttl");
  CHECK(
      AdminErrorJson(with_field) ==
      nlohmann::json::parse(
          R"({"error": {"code": "invalid_ttl", "message": "ttl 0 is not ...", "field": "ttl"}})"));
  AdminError without = {503, "consul_unavailable", "Consul is down", ""};
  CHECK(AdminErrorBody(without) ==
        R"({"error":{"code":"consul_unavailable","message":"Consul is down"}})");
}

TEST_CASE("an error whose message quotes invalid UTF-8 still encodes") {
  AdminError error = BadRequest("unknown_field", "unknown field \"\xff\"", "\xff");
  CHECK(nlohmann::json::parse(AdminErrorBody(error))["error"]["code"] == "unknown_field");
}

TEST_CASE("an AdminResult holds either the value or the error") {
  AdminResult<int> value = 7;
  REQUIRE(value.ok());
  CHECK(*value == 7);
  AdminResult<int> error = BadRequest("invalid_json", "no");
  REQUIRE_FALSE(error.ok());
  CHECK(error.error().code == "invalid_json");
  CHECK(error.error().status == 400);
}

}  // namespace
}  // namespace shardgate::controller
