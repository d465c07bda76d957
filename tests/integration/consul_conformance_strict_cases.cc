// The Consul conformance suite's strictness cases: registration validation, request paths
// refused or redirected before any endpoint, TTL expiry output and the server's own service.
#include <string>
#include <vector>

#include "tests/integration/consul_conformance.h"

namespace shardgate::harness::conformance {
namespace {

// A service registration of {p} with `meta` (a JSON object) as its Meta.
std::string WithMeta(const std::string& meta) { return R"({"Name":"{p}","Meta":)" + meta + "}"; }

std::string MetaPairs(int n) {
  std::string meta = "{";
  for (int i = 0; i < n; ++i) meta += (i ? "," : "") + ("\"k" + std::to_string(i) + "\":\"v\"");
  return meta + "}";
}

std::string BadPair(const std::string& key, const std::string& value, const std::string& why) {
  return "Invalid Service Meta: Couldn't load metadata pair ('" + key + "', '" + value +
         "'): " + why;
}

std::vector<Case> RegistrationCases() {
  const std::string long_key(129, 'k');
  const std::string long_value(513, 'v');
  const std::string no_type = "Invalid check: TTL must be > 0 for TTL checks";
  return {
      {"service meta is refused for a bad key, a long key or value, or more than 64 pairs",
       {{"PUT",
         "/v1/agent/service/register",
         WithMeta(R"({"a.b":"1"})"),
         {Status(400), Body(BadPair("a.b", "1", "Key contains invalid characters"))}},
        {"PUT",
         "/v1/agent/service/register",
         WithMeta(R"({"consul-x":"1"})"),
         {Status(400),
          Body(BadPair("consul-x", "1", "Key prefix 'consul-' is reserved for internal use"))}},
        {"PUT",
         "/v1/agent/service/register",
         WithMeta("{\"" + long_key + "\":\"1\"}"),
         {Status(400), Body(BadPair(long_key, "1", "Key is too long (limit: 128 characters)"))}},
        {"PUT",
         "/v1/agent/service/register",
         WithMeta("{\"k\":\"" + long_value + "\"}"),
         {Status(400),
          Body(BadPair("k", long_value, "Value is too long (limit: 512 characters)"))}},
        {"PUT",
         "/v1/agent/service/register",
         WithMeta(MetaPairs(65)),
         {Status(400),
          Body("Invalid Service Meta: Node metadata cannot contain more than 64 key/value pairs")}},
        {"GET", "/v1/agent/services", "", {Status(200), Missing("/{p}")}}}},
      {"weights below 1 passing, below 0 warning or above 65535 are refused before the meta",
       {{"PUT",
         "/v1/agent/service/register",
         R"({"Name":"{p}","Weights":{"Passing":0,"Warning":1},"Meta":{"a.b":"1"}})",
         {Status(400), Body("Invalid Weights: Passing must be greater than 0")}},
        {"PUT",
         "/v1/agent/service/register",
         R"({"Name":"{p}","Weights":{"Passing":1,"Warning":-1}})",
         {Status(400), Body("Invalid Weights: Warning must be greater or equal than 0")}},
        {"PUT",
         "/v1/agent/service/register",
         R"({"Name":"{p}","Weights":{"Passing":65536,"Warning":1}})",
         {Status(400), Body("Invalid Weights: DNS Weight must be between 0 and 65535")}},
        {"GET", "/v1/agent/services", "", {Status(200), Missing("/{p}")}}}},
      {"a check of no type is a 400, but an empty Check object is ignored",
       {{"PUT",
         "/v1/agent/service/register",
         R"({"Name":"{p}","Check":{"Notes":"no type"}})",
         {Status(400), Body(no_type)}},
        {"PUT",
         "/v1/agent/service/register",
         R"({"Name":"{p}","Checks":[{}]})",
         {Status(400), Body(no_type)}},
        {"PUT", "/v1/agent/check/register", R"({"Name":"{p}-c"})", {Status(400), Body(no_type)}},
        {"PUT", "/v1/agent/service/register", R"({"Name":"{p}","Check":{}})", {Status(200)}},
        {"GET", "/v1/health/checks/{p}", "", {Status(200), Body("[]")}},
        {"PUT", "/v1/agent/service/deregister/{p}", "", {Status(200)}}}},
      {"check registration refuses a bad status and an unknown ServiceID with their own texts",
       {{"PUT",
         "/v1/agent/check/register",
         R"({"Name":"{p}-c","TTL":"10s","Status":"meh"})",
         {Status(400), Body("Bad check status")}},
        {"PUT",
         "/v1/agent/check/register",
         R"({"Name":"{p}-c","TTL":"10s","ServiceID":"nope-{p}"})",
         {Status(404), Body("ServiceID \"nope-{p}\" does not exist")}}}},
  };
}

std::vector<Case> PathCases() {
  return {
      {"an unprintable character in the path is a 400 with an empty body and stores nothing",
       {{"PUT", "/v1/kv/{p}/a%01b", "x", {Status(400), Body(""), NoHeader("X-Consul-Index")}},
        {"GET", "/v1/kv/{p}/tab%09", "", {Status(400), Body("")}},
        {"GET", "/v1/kv/{p}/?recurse", "", {Status(404)}}}},
      {"repeated slashes are redirected (301) to the clean path, query kept, nothing stored",
       {{"PUT", "/v1/kv/{p}//a", "x", {Status(301), Header("Location", "/v1/kv/{p}/a")}},
        {"GET", "/v1/kv/{p}/a", "", {Status(404)}},
        {"GET",
         "/v1/kv//{p}/./a?raw",
         "",
         {Status(301), Header("Location", "/v1/kv/{p}/a?raw"),
          Body("<a href=\"/v1/kv/{p}/a?raw\">Moved Permanently</a>.\n\n")}},
        {"GET", "/v1/kv", "", {Status(301), Header("Location", "/v1/kv/")}}}},
      {"an unknown path is a 404 with a line of text and no Consul headers",
       {{"GET",
         "/v1/no/such/endpoint",
         "",
         {Status(404), Body("Invalid URL path: not a recognized HTTP API endpoint\n"),
          NoHeader("X-Consul-Default-ACL-Policy")}},
        {"GET",
         "/no-such-page",
         "",
         {Status(404), Body("Invalid URL path: if attempting to use the HTTP API, ensure the "
                            "path starts with '/v1/'\n")}}}},
  };
}

std::vector<Case> TtlAndServerCases() {
  return {
      {"a TTL check that never had output expires with the bare text",
       {{"PUT",
         "/v1/agent/service/register",
         R"({"Name":"{p}","Check":{"TTL":"1s","Status":"passing"}})",
         {Status(200)}},
        {"GET", "/v1/health/checks/{p}", "", {At("/0/Status", R"("passing")"), CaptureIndex("i")}},
        {"GET",
         "/v1/health/checks/{p}?index={i}&wait=10s",
         "",
         {At("/0/Status", R"("critical")"), At("/0/Output", R"("TTL expired")")}},
        {"PUT", "/v1/agent/service/deregister/{p}", "", {Status(200)}}}},
      {"a TTL check with earlier output expires with that output quoted after the prefix",
       {{"PUT",
         "/v1/agent/service/register",
         R"({"Name":"{p}","Check":{"TTL":"1s"}})",
         {Status(200)}},
        {"PUT",
         "/v1/agent/check/update/service:{p}",
         R"({"Status":"passing","Output":"fine"})",
         {Status(200)}},
        {"GET", "/v1/health/checks/{p}", "", {At("/0/Status", R"("passing")"), CaptureIndex("i")}},
        {"GET",
         "/v1/health/checks/{p}?index={i}&wait=10s",
         "",
         {At("/0/Status", R"("critical")"),
          At("/0/Output", R"("TTL expired (last output before timeout follows): fine")")}},
        {"PUT", "/v1/agent/service/deregister/{p}", "", {Status(200)}}}},
      {"the server's own consul service is in the catalog and healthy, not in the agent's list",
       {{"GET", "/v1/catalog/services", "", {Status(200), At("/consul", "[]")}},
        {"GET",
         "/v1/health/service/consul",
         "",
         {Status(200), Meta(), At("/0/Service/ID", R"("consul")"),
          At("/0/Service/Service", R"("consul")"), At("/0/Service/Port", "8300"),
          At("/0/Checks/0/CheckID", R"("serfHealth")"), Missing("/0/Checks/1")}},
        {"GET", "/v1/health/checks/consul", "", {Status(200), Body("[]")}},
        {"GET", "/v1/agent/services", "", {Status(200), Missing("/consul")}}}},
  };
}

}  // namespace

std::vector<Case> StrictnessCases() {
  std::vector<Case> all = RegistrationCases();
  for (std::vector<Case> more : {PathCases(), TtlAndServerCases()}) {
    all.insert(all.end(), more.begin(), more.end());
  }
  return all;
}

}  // namespace shardgate::harness::conformance
