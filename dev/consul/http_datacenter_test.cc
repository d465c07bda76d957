// Unit tests for ?dc handling: a server in datacenter "east" serves "east" (and no ?dc), answers
// any other name as Consul does when it has no path there, and reports "east" in its entries.
#include <doctest/doctest.h>
#include <httplib.h>

#include "dev/consul/http_handlers.h"
#include "tests/fakes/fake_clock.h"

namespace shardgate::consul::dev {
namespace {

struct Fixture {
  testing::FakeClock clock;
  State state{clock, StateOptions{.datacenter = "east"}};
  Api api{state, "", "127.0.0.1:8300", "shardgate-dev", "east"};
  Fixture() { state.Init(std::nullopt); }

  // One request to `handler`, with `query` as already-decoded parameters.
  httplib::Response Call(Handler handler, const std::string& method, const std::string& rest,
                         httplib::Params query, const std::string& body = "") {
    httplib::Request req;
    req.method = method;
    req.params = std::move(query);
    req.body = body;
    httplib::Response res;
    handler(api, req, res, rest);
    return res;
  }
};

TEST_CASE("no ?dc, an empty one or the server's own datacenter is served") {
  Fixture f;
  CHECK(f.Call(HandleKv, "PUT", "k", {}, "v").body == "true");
  CHECK(f.Call(HandleKv, "GET", "k", {{"dc", ""}}).status == 200);
  CHECK(f.Call(HandleKv, "GET", "k", {{"dc", "east"}}).status == 200);
}

TEST_CASE("another datacenter, even the own name in capitals, is a 500 No path to datacenter") {
  Fixture f;
  for (const char* dc : {"west", "EAST", "dc1"}) {
    CAPTURE(dc);
    httplib::Response res = f.Call(HandleKv, "GET", "k", {{"dc", dc}});
    CHECK(res.status == 500);
    CHECK(res.body == "No path to datacenter");
    CHECK_FALSE(res.has_header("X-Consul-Index"));
  }
}

TEST_CASE("a write to an unknown datacenter changes nothing") {
  Fixture f;
  CHECK(f.Call(HandleKv, "PUT", "k", {{"dc", "west"}}, "v").status == 500);
  CHECK(f.Call(HandleKv, "GET", "k", {}).status == 404);
  CHECK(f.Call(HandleSessionCreate, "PUT", "", {{"dc", "west"}}).status == 500);
  CHECK(f.Call(HandleSessionList, "GET", "", {}).body == "[]");
}

TEST_CASE("agent endpoints ignore ?dc and entries carry the configured datacenter") {
  Fixture f;
  CHECK(f.Call(HandleServiceRegister, "PUT", "", {{"dc", "west"}}, R"({"Name":"web"})").status ==
        200);
  httplib::Response health = f.Call(HandleHealthService, "GET", "web", {});
  REQUIRE(health.status == 200);
  CHECK(nlohmann::json::parse(health.body).at(0).at("Node").at("Datacenter") == "east");
}

}  // namespace
}  // namespace shardgate::consul::dev
