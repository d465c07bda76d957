// Publisher decisions against a scripted Consul (FakeHttpTransport) and a fake clock.
#include "agent/publisher.h"

#include <doctest/doctest.h>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_http_transport.h"

namespace shardgate::agent {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::FakeClock;
using testing::FakeHttpTransport;

PublisherConfig Config() {
  PublisherConfig c;
  c.cluster = "orders";
  c.shard = "shard_1";
  c.node = "n1";
  c.service_name = "shardgate-orders";
  c.address = "127.0.0.1";
  c.port = 5432;
  c.ttl = seconds(9);
  c.heartbeat = seconds(3);
  c.backoff_min = milliseconds(200);
  c.backoff_max = seconds(5);
  return c;
}

NodeState Passing(int weight = 256) {
  NodeState s;
  s.status = Health::kPassing;
  s.reason = "ok";
  s.role = Role::kReplica;
  s.timeline = 1;
  s.weight = weight;
  return s;
}

const char kServices[] =
    R"({"orders-shard_1-n1":{"ID":"orders-shard_1-n1","Service":"shardgate-orders",)"
    R"("Tags":[],"Address":"127.0.0.1","Port":5432,"Meta":{},"Weights":{"Passing":1,"Warning":1}}})";

// A Consul that knows our service once registered and accepts every write.
struct Harness {
  FakeClock clock;
  FakeHttpTransport consul;
  consul::Client client{consul, consul::ClientConfig{}};
  Publisher publisher{client, clock, Config()};

  Harness() {
    consul.Route("GET", "/v1/agent/services", FakeHttpTransport::Response(200, kServices));
    consul.Route("GET", "/v1/agent/checks", FakeHttpTransport::Response(200, "{}"));
    consul.Route("PUT", "/v1/agent/service/register", FakeHttpTransport::Response(200, ""));
    consul.Route("PUT", "/v1/agent/check/update/", FakeHttpTransport::Response(200, ""));
    consul.Route("PUT", "/v1/agent/service/deregister/", FakeHttpTransport::Response(200, ""));
  }
  int Count(const std::string& method, const std::string& prefix, size_t from = 0) const {
    int n = 0;
    auto reqs = consul.requests();
    for (size_t i = from; i < reqs.size(); ++i) {
      if (reqs[i].method == method && reqs[i].path.starts_with(prefix)) ++n;
    }
    return n;
  }
  int Writes(size_t from = 0) const { return Count("PUT", "/v1/", from); }
};

TEST_CASE(
    "the first step registers the service with tags, meta, weights and a TTL check, then sets the check") {
  Harness h;
  NodeState s = Passing(192);
  s.changed_at = WallTime(milliseconds(1700000000123));
  h.publisher.Step(s);
  auto reqs = h.consul.requests();
  REQUIRE(h.Count("PUT", "/v1/agent/service/register") == 1);
  std::string body;
  for (const auto& r : reqs) {
    if (r.path.starts_with("/v1/agent/service/register")) body = r.body;
  }
  CHECK(body.find(R"("ID":"orders-shard_1-n1")") != std::string::npos);
  CHECK(body.find(R"("Name":"shardgate-orders")") != std::string::npos);
  CHECK(body.find(R"("Tags":["shard:shard_1","role:replica"])") != std::string::npos);
  CHECK(body.find(R"("changed_at":"1700000000123")") != std::string::npos);
  CHECK(body.find(R"("Weights":{"Passing":192,"Warning":192})") != std::string::npos);
  CHECK(body.find(R"("TTL":")") != std::string::npos);
  CHECK(body.find(R"("DeregisterCriticalServiceAfter":")") != std::string::npos);
  CHECK(reqs.back().path.starts_with("/v1/agent/check/update/"));
  CHECK(reqs.back().body.find(R"("Status":"passing")") != std::string::npos);
  CHECK(h.publisher.stats().consul_up);
}

TEST_CASE("a zero weight is published as Passing 1 and Warning 0") {
  NodeState s = Passing(0);
  s.status = Health::kWarning;
  auto reg = BuildRegistration(Config(), s);
  CHECK(reg.weights.passing == 1);
  CHECK(reg.weights.warning == 0);
}

TEST_CASE("steady state costs Consul only heartbeats, one per heartbeat interval") {
  Harness h;
  h.publisher.Step(Passing());
  size_t start = h.consul.request_count();
  // 30 s of 100 ms probe rounds with the same state and wobbling raw lag.
  for (int i = 0; i < 300; ++i) {
    h.clock.Advance(milliseconds(100));
    NodeState s = Passing();
    s.lag_bytes = static_cast<uint64_t>(i % 7) * 100;
    h.publisher.Step(s);
  }
  CHECK(h.Count("PUT", "/v1/agent/service/register", start) == 0);
  CHECK(h.Count("PUT", "/v1/agent/check/update/", start) == 10);
  CHECK(h.Writes(start) == 10);
}

TEST_CASE(
    "a status change updates the check at once and re-registers; a weight bucket change re-registers") {
  Harness h;
  h.publisher.Step(Passing());
  size_t start = h.consul.request_count();
  h.clock.Advance(milliseconds(100));
  NodeState critical = Passing();
  critical.status = Health::kCritical;
  critical.weight = 0;
  h.publisher.Step(critical);
  CHECK(h.Count("PUT", "/v1/agent/service/register", start) == 1);
  CHECK(h.Count("PUT", "/v1/agent/check/update/", start) == 1);
  CHECK(h.consul.last_request().body.find(R"("Status":"critical")") != std::string::npos);
  size_t mid = h.consul.request_count();
  h.clock.Advance(milliseconds(100));
  h.publisher.Step(critical);
  CHECK(h.Writes(mid) == 0);
}

TEST_CASE("a 404 on a check update makes the publisher register again") {
  Harness h;
  h.publisher.Step(Passing());
  h.clock.Advance(seconds(3));
  // Heartbeat: the poll reads services and checks, then the check update answers 404.
  h.consul.Push(FakeHttpTransport::Response(200, kServices));
  h.consul.Push(FakeHttpTransport::Response(200, "{}"));
  h.consul.Push(FakeHttpTransport::Response(404, "Unknown check ID"));
  size_t start = h.consul.request_count();
  h.publisher.Step(Passing());
  CHECK(h.Count("PUT", "/v1/agent/service/register", start) == 1);
  CHECK(h.Count("PUT", "/v1/agent/check/update/", start) == 2);
  CHECK(h.publisher.stats().errors == 0);
}

TEST_CASE("a service the agent no longer lists is registered again") {
  Harness h;
  h.publisher.Step(Passing());
  h.clock.Advance(seconds(3));
  h.consul.Push(FakeHttpTransport::Response(200, "{}"));
  size_t start = h.consul.request_count();
  h.publisher.Step(Passing());
  CHECK(h.Count("PUT", "/v1/agent/service/register", start) == 1);
}

TEST_CASE(
    "while Consul is down the publisher backs off with growing, jittered delays and sends nothing early") {
  Harness h;
  h.consul.Route("GET", "/v1/agent/services",
                 FakeHttpTransport::Response(500, "No cluster leader"));
  SteadyTime t0 = h.clock.Now();
  SteadyTime retry = h.publisher.Step(Passing());
  CHECK(retry >= t0 + milliseconds(100));
  CHECK(retry <= t0 + milliseconds(200));
  size_t count = h.consul.request_count();
  h.clock.Advance(milliseconds(50));
  CHECK(h.publisher.Step(Passing()) == retry);
  CHECK(h.consul.request_count() == count);
  SteadyTime last = retry;
  for (int i = 0; i < 10; ++i) {
    h.clock.Advance(last - h.clock.Now());
    SteadyTime now = h.clock.Now();
    last = h.publisher.Step(Passing());
    CHECK(last - now <= seconds(5));
  }
  CHECK(last - h.clock.Now() >= milliseconds(2500));
  CHECK(h.publisher.stats().errors == 11);
  CHECK_FALSE(h.publisher.stats().consul_up);
  // Consul is back: the next attempt registers and the backoff resets.
  h.consul.Route("GET", "/v1/agent/services", FakeHttpTransport::Response(200, "{}"));
  h.clock.Advance(last - h.clock.Now());
  size_t before = h.consul.request_count();
  SteadyTime next = h.publisher.Step(Passing());
  CHECK(h.Count("PUT", "/v1/agent/service/register", before) == 1);
  CHECK(next == h.clock.Now() + seconds(3));
  CHECK(h.publisher.stats().consul_up);
}

TEST_CASE("maintenance mode on the service is read from the local agent") {
  Harness h;
  h.consul.Route(
      "GET", "/v1/agent/checks",
      FakeHttpTransport::Response(200, R"({"_service_maintenance:orders-shard_1-n1":)"
                                       R"({"CheckID":"_service_maintenance:orders-shard_1-n1",)"
                                       R"("Status":"critical","Notes":"upgrade"}})"));
  h.publisher.Step(Passing());
  CHECK(h.publisher.maintenance());
  CHECK(h.publisher.stats().maintenance);
}

TEST_CASE("shutdown marks the check critical with one request") {
  Harness h;
  h.publisher.Step(Passing());
  size_t start = h.consul.request_count();
  CHECK(h.publisher.Shutdown().ok());
  CHECK(h.consul.request_count() == start + 1);
  CHECK(h.consul.last_request().path.starts_with("/v1/agent/check/update/"));
  CHECK(h.consul.last_request().body.find(R"("Status":"critical")") != std::string::npos);
}

TEST_CASE("shutdown deregisters when so configured, and an unknown service is not an error") {
  FakeClock clock;
  FakeHttpTransport consul;
  consul::Client client{consul, consul::ClientConfig{}};
  PublisherConfig cfg = Config();
  cfg.deregister_on_exit = true;
  Publisher publisher(client, clock, cfg);
  consul.Push(FakeHttpTransport::Response(404, "Unknown service ID"));
  CHECK(publisher.Shutdown().ok());
  CHECK(consul.last_request().path.starts_with("/v1/agent/service/deregister/orders-shard_1-n1"));
}

TEST_CASE("the check output carries the reason and the raw lag") {
  NodeState s = Passing(64);
  s.reason = "lagging";
  s.lag_bytes = 5000;
  s.lag = Millis(1200);
  CHECK(CheckOutput(s) == "lagging role=replica weight=64 lag_bytes=5000 lag_ms=1200");
}

}  // namespace
}  // namespace shardgate::agent
