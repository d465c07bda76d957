// The Consul conformance suite's datacenter cases: ?dc naming the server's own datacenter, an
// unknown one (Consul forwards, and with no path answers 500), and agent endpoints that ignore it.
// They assume the target's datacenter is dc1, the default of both `consul agent -dev` and
// shardgate-consul-dev.
#include <string>
#include <vector>

#include "tests/integration/consul_conformance.h"

namespace shardgate::harness::conformance {
namespace {

const std::string kService = R"({"Name":"{p}","ID":"{p}-1","Tags":["dc"]})";

// Consul's reply when ?dc names a datacenter it has no path to (structs.ErrNoDCPath): no query
// metadata, because the request never reached a state store.
std::vector<Expect> NoPath() {
  return {Status(500), Body("No path to datacenter"), NoHeader("X-Consul-Index")};
}

}  // namespace

std::vector<Case> DatacenterCases() {
  const std::string k = "/v1/kv/{p}";
  return {
      {"?dc naming the server's own datacenter is served as a request without it",
       {{"PUT", k + "/own?dc=dc1", "v", {Status(200), Body("true")}},
        {"GET", k + "/own?dc=dc1", "", {Status(200), Meta(), At("/0/Value", R"("dg==")")}},
        {"PUT", "/v1/txn?dc=dc1", R"([{"KV":{"Verb":"get","Key":"{p}/own"}}])", {Status(200)}},
        {"GET", "/v1/status/leader?dc=dc1", "", {Status(200)}}}},
      {"an empty ?dc means the server's own datacenter",
       {{"PUT", k + "/empty?dc=", "v", {Status(200), Body("true")}},
        {"GET", k + "/empty?dc=", "", {Status(200), Meta()}}}},
      {"a KV read in an unknown datacenter is a 500 No path to datacenter, even for a missing key",
       {{"PUT", k + "/here", "v", {Body("true")}},
        {"GET", k + "/here?dc=dc9", "", NoPath()},
        {"GET", k + "/missing?dc=dc9", "", NoPath()},
        {"GET", k + "/?recurse&dc=dc9", "", NoPath()}}},
      {"a KV write or delete in an unknown datacenter is a 500 and changes nothing",
       {{"PUT", k + "/w?dc=dc9", "x", NoPath()},
        {"GET", k + "/w", "", {Status(404)}},
        {"PUT", k + "/d", "v", {Body("true")}},
        {"DELETE", k + "/d?dc=dc9", "", NoPath()},
        {"GET", k + "/d", "", {Status(200)}}}},
      {"datacenter names are compared exactly: DC1 is not dc1",
       {{"GET", k + "/case?dc=DC1", "", NoPath()}}},
      {"a request that fails to parse is refused before its datacenter is looked at",
       {{"GET", k + "/p?dc=dc9&index=x", "", {Status(400), Body("Invalid index")}},
        {"PUT", "/v1/txn?dc=dc9", "[{", {Status(400), BodyStarts("Failed to parse body: ")}}}},
      {"health and catalog reads in an unknown datacenter are 500s, known service or not",
       {{"PUT", "/v1/agent/service/register", kService, {Status(200)}},
        {"GET",
         "/v1/health/service/{p}?dc=dc1",
         "",
         {Status(200), At("/0/Node/Datacenter", R"("dc1")")}},
        {"GET", "/v1/health/service/{p}?dc=dc9", "", NoPath()},
        {"GET", "/v1/health/service/nope-{p}?dc=dc9", "", NoPath()},
        {"GET", "/v1/health/checks/{p}?dc=dc9", "", NoPath()},
        {"GET", "/v1/catalog/service/{p}?dc=dc9", "", NoPath()},
        {"GET", "/v1/catalog/services?dc=dc9", "", NoPath()},
        {"PUT", "/v1/agent/service/deregister/{p}-1", "", {Status(200)}}}},
      {"a txn in an unknown datacenter is a 500 and applies nothing",
       {{"PUT", "/v1/txn?dc=dc9", R"([{"KV":{"Verb":"set","Key":"{p}/t","Value":"eA=="}}])",
         NoPath()},
        {"GET", k + "/t", "", {Status(404)}}}},
      {"session create, renew and destroy in an unknown datacenter are 500s",
       {{"PUT", "/v1/session/create?dc=dc9", R"({"TTL":"15s"})", NoPath()},
        {"PUT", "/v1/session/create", R"({"TTL":"15s"})", {Capture("s", "/ID")}},
        {"PUT", "/v1/session/renew/{s}?dc=dc9", "", NoPath()},
        {"PUT", "/v1/session/destroy/{s}?dc=dc9", "", NoPath()},
        {"GET", "/v1/session/info/{s}?dc=dc9", "", NoPath()},
        {"GET", "/v1/session/info/{s}", "", {At("/0/ID", R"("{s}")")}},
        {"PUT", "/v1/session/destroy/{s}", "", {Body("true")}}}},
      {"the status endpoints in an unknown datacenter are 500s",
       {{"GET", "/v1/status/leader?dc=dc9", "", NoPath()},
        {"GET", "/v1/status/peers?dc=dc9", "", NoPath()}}},
      {"agent endpoints are the local agent's and ignore ?dc",
       {{"PUT", "/v1/agent/service/register?dc=dc9", kService, {Status(200), Body("")}},
        {"GET", "/v1/agent/services?dc=dc9", "", {Status(200), At("/{p}-1/Service", R"("{p}")")}},
        {"GET", "/v1/health/service/{p}", "", {Status(200), At("/0/Service/ID", R"("{p}-1")")}},
        {"PUT", "/v1/agent/service/deregister/{p}-1?dc=dc9", "", {Status(200)}},
        {"GET", "/v1/health/service/{p}", "", {Status(200), Body("[]")}}}},
  };
}

}  // namespace shardgate::harness::conformance
