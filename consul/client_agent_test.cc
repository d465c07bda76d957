// Tests for the Client's agent, health and session calls: request bodies and decoding.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "consul/client.h"
#include "tests/fakes/fake_http_transport.h"

namespace shardgate::consul {
namespace {

using testing::FakeHttpTransport;
using Json = nlohmann::json;

// A health answer as Consul documents it (node check plus a TTL service check).
const char* kHealthBody =
    R"([{"Node":{"ID":"40e4","Node":"n1","Address":"10.0.0.5","Datacenter":"dc1",)"
    R"("TaggedAddresses":{"lan":"10.0.0.5","wan":"10.0.0.5"},"Meta":{},"CreateIndex":5,"ModifyIndex":5},)"
    R"("Service":{"ID":"web1","Service":"web","Tags":["v2"],"Address":"10.0.0.5","Meta":{"version":"2"},"Port":8080,)"
    R"("Weights":{"Passing":10,"Warning":1},"EnableTagOverride":false,"CreateIndex":120,"ModifyIndex":120},)"
    R"("Checks":[{"Node":"n1","CheckID":"serfHealth","Name":"Serf Health Status","Status":"passing","Notes":"",)"
    R"("Output":"Agent alive and reachable","ServiceID":"","ServiceName":"","ServiceTags":[],"Type":""},)"
    R"({"Node":"n1","CheckID":"service:web1","Name":"Service 'web' check","Status":"passing","Notes":"",)"
    R"("Output":"ok","ServiceID":"web1","ServiceName":"web","ServiceTags":["v2"],"Type":"ttl"}]}])";

ServiceRegistration WebRegistration() {
  ServiceRegistration r;
  r.id = "web1";
  r.name = "web";
  r.tags = {"v2"};
  r.address = "10.0.0.5";
  r.port = 8080;
  r.meta = {{"version", "2"}};
  r.weights = Weights{10, 1};
  TtlCheck check;
  check.ttl = std::chrono::seconds(15);
  check.deregister_critical_service_after = std::chrono::minutes(1);
  check.status = CheckStatus::kPassing;
  check.notes = "probe";
  r.check = check;
  return r;
}

Client MakeClient(FakeHttpTransport& fake) { return Client(fake, ClientConfig{}); }

}  // namespace

TEST_CASE("RegisterService sends Consul's field names, weights and the TTL check") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(200, ""));
  Client client = MakeClient(fake);
  REQUIRE(client.RegisterService(WebRegistration()).ok());
  auto request = fake.last_request();
  CHECK(request.method == "PUT");
  CHECK(request.path == "/v1/agent/service/register");
  Json body = Json::parse(request.body);
  CHECK(body == Json::parse(R"({"ID":"web1","Name":"web","Tags":["v2"],"Address":"10.0.0.5",
      "Port":8080,"Meta":{"version":"2"},"Weights":{"Passing":10,"Warning":1},
      "Check":{"TTL":"15000ms","DeregisterCriticalServiceAfter":"60000ms","Status":"passing",
               "Notes":"probe"}})"));
}

TEST_CASE("replace-existing-checks is a query flag") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(200, ""));
  Client client = MakeClient(fake);
  ServiceRegistration r = WebRegistration();
  r.replace_existing_checks = true;
  REQUIRE(client.RegisterService(r).ok());
  CHECK(fake.last_request().path == "/v1/agent/service/register?replace-existing-checks");
}

TEST_CASE("a rejected registration carries Consul's 400 text") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(400, "Invalid Weights: Passing must be greater than 0"));
  Client client = MakeClient(fake);
  Status status = client.RegisterService(WebRegistration());
  CHECK(status.code() == Code::kInvalidArgument);
  CHECK(status.message() == "consul PUT /v1/agent/service/register: 400 Invalid Weights: "
                            "Passing must be greater than 0");
}

TEST_CASE("TTL check calls use the check endpoints with escaped IDs") {
  FakeHttpTransport fake;
  fake.Route("PUT", "/v1/agent/", FakeHttpTransport::Response(200, ""));
  Client client = MakeClient(fake);
  REQUIRE(client.UpdateTtlCheck("service:web1", CheckStatus::kWarning, "lag 3s").ok());
  CHECK(fake.last_request().path == "/v1/agent/check/update/service%3Aweb1");
  CHECK(Json::parse(fake.last_request().body) ==
        Json::parse(R"({"Status":"warning","Output":"lag 3s"})"));
  REQUIRE(client.PassCheck("service:web1", "ok now").ok());
  CHECK(fake.last_request().path == "/v1/agent/check/pass/service%3Aweb1?note=ok%20now");
  REQUIRE(client.WarnCheck("c", "").ok());
  CHECK(fake.last_request().path == "/v1/agent/check/warn/c");
  REQUIRE(client.FailCheck("c", "down").ok());
  CHECK(fake.last_request().path == "/v1/agent/check/fail/c?note=down");
}

TEST_CASE("an unknown check is kNotFound so the caller knows to register again") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(
      404, "Unknown check ID \"nope\". Ensure that the check ID is passed, not the check name."));
  Client client = MakeClient(fake);
  CHECK(client.PassCheck("nope", "").code() == Code::kNotFound);
}

TEST_CASE("maintenance mode is toggled with enable and an escaped reason") {
  FakeHttpTransport fake;
  fake.Route("PUT", "/v1/agent/service/", FakeHttpTransport::Response(200, ""));
  Client client = MakeClient(fake);
  REQUIRE(client.EnableServiceMaintenance("web1", "disk swap").ok());
  CHECK(fake.last_request().path ==
        "/v1/agent/service/maintenance/web1?enable=true&reason=disk%20swap");
  REQUIRE(client.DisableServiceMaintenance("web1").ok());
  CHECK(fake.last_request().path == "/v1/agent/service/maintenance/web1?enable=false");
  REQUIRE(client.DeregisterService("web1").ok());
  CHECK(fake.last_request().path == "/v1/agent/service/deregister/web1");
}

TEST_CASE("AgentService reports the service and whether it is in maintenance") {
  FakeHttpTransport fake;
  fake.Route(
      "GET", "/v1/agent/services",
      FakeHttpTransport::Response(
          200,
          R"({"web1":{"ID":"web1","Service":"web","Tags":[],"Meta":{"shard":"s1"},"Port":8080,"Address":"",)"
          R"("Weights":{"Passing":7,"Warning":1},"EnableTagOverride":false}})"));
  fake.Route(
      "GET", "/v1/agent/checks",
      FakeHttpTransport::Response(
          200,
          R"({"_service_maintenance:web1":{"Node":"n1","CheckID":"_service_maintenance:web1",)"
          R"("Name":"Service Maintenance Mode","Status":"critical","Notes":"disk swap","Output":"",)"
          R"("ServiceID":"web1","ServiceName":"web"}})"));
  Client client = MakeClient(fake);
  auto state = client.AgentService("web1");
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK((*state)->service.weights.passing == 7);
  CHECK((*state)->service.meta.at("shard") == "s1");
  CHECK((*state)->in_maintenance);
  CHECK((*state)->maintenance_reason == "disk swap");
  auto unknown = client.AgentService("web2");
  REQUIRE(unknown.ok());
  CHECK_FALSE(unknown->has_value());
}

TEST_CASE("HealthService decodes the reference example") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::QueryResponse(kHealthBody, 133));
  Client client = MakeClient(fake);
  QueryOptions q;
  q.index = 120;
  q.wait = std::chrono::minutes(1);
  auto health = client.HealthService("web", /*passing_only=*/true, q);
  REQUIRE(health.ok());
  CHECK(fake.last_request().path == "/v1/health/service/web?passing&index=120&wait=60000ms");
  CHECK(health->meta.index == 133);
  REQUIRE(health->value.size() == 1);
  const ServiceEntry& e = health->value[0];
  CHECK(e.node == "n1");
  CHECK(e.node_address == "10.0.0.5");
  CHECK(e.service.id == "web1");
  CHECK(e.service.name == "web");
  CHECK(e.service.tags == std::vector<std::string>{"v2"});
  CHECK(e.service.port == 8080);
  CHECK(e.service.weights == Weights{10, 1});
  REQUIRE(e.checks.size() == 2);
  CHECK(e.checks[0].service_id.empty());
  CHECK(e.checks[1].check_id == "service:web1");
  CHECK(e.checks[1].status == CheckStatus::kPassing);
}

TEST_CASE("health entries with wrong types or unknown statuses are protocol errors") {
  for (const char* body :
       {R"([{"Node":{"Node":"n1"},"Service":{"ID":"a","Service":"s","Port":"80"}}])",
        R"([{"Node":{"Node":"n1"},"Service":{"ID":"a","Service":"s"},)"
        R"("Checks":[{"CheckID":"c","Status":"maybe"}]}])",
        R"({"Node":{}})"}) {
    FakeHttpTransport fake;
    fake.Push(FakeHttpTransport::QueryResponse(body, 3));
    Client client = MakeClient(fake);
    auto health = client.HealthService("s", false);
    CHECK(health.status().code() == Code::kProtocol);
    CHECK(health.status().message().starts_with("consul GET /v1/health/service/s: bad response"));
  }
}

TEST_CASE("sessions: create sends TTL, behavior and lock delay; renew 404 means gone") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(200, R"({"ID":"b2d1f0c6-1"})"));
  fake.Push(FakeHttpTransport::Response(
      200,
      R"([{"ID":"b2d1f0c6-1","Name":"lock","Node":"n1","LockDelay":1000000000,"Behavior":"delete","TTL":"30s"}])"));
  fake.Push(FakeHttpTransport::Response(404, "Session id 'b2d1f0c6-1' not found"));
  fake.Push(FakeHttpTransport::Response(200, "true"));
  Client client = MakeClient(fake);
  SessionRequest request;
  request.name = "lock";
  request.ttl = std::chrono::seconds(15);
  request.behavior = SessionBehavior::kDelete;
  request.lock_delay = std::chrono::seconds(1);
  request.node_checks = std::vector<std::string>{};
  auto id = client.CreateSession(request);
  REQUIRE(id.ok());
  CHECK(*id == "b2d1f0c6-1");
  CHECK(
      Json::parse(fake.last_request().body) ==
      Json::parse(
          R"({"Name":"lock","TTL":"15s","Behavior":"delete","LockDelay":"1000ms","NodeChecks":[]})"));
  auto renewed = client.RenewSession(*id);
  REQUIRE(renewed.ok());
  REQUIRE(renewed->has_value());
  CHECK((*renewed)->ttl == "30s");
  CHECK((*renewed)->behavior == SessionBehavior::kDelete);
  CHECK(fake.last_request().path == "/v1/session/renew/b2d1f0c6-1");
  auto gone = client.RenewSession(*id);
  REQUIRE(gone.ok());
  CHECK_FALSE(gone->has_value());
  CHECK(client.DestroySession(*id).ok());
  CHECK(fake.last_request().path == "/v1/session/destroy/b2d1f0c6-1");
}

TEST_CASE("session validation failures (Consul's 500s) are errors with Consul's text") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(
      500, "Invalid Session TTL '5000000000', must be between [10s=24h0m0s]"));
  Client client = MakeClient(fake);
  SessionRequest request;
  request.ttl = std::chrono::seconds(5);
  auto id = client.CreateSession(request);
  CHECK(id.status().code() == Code::kUnavailable);
  CHECK(id.status().message().find("Invalid Session TTL") != std::string::npos);
}

}  // namespace shardgate::consul
