// shardgate-controller fail-static: Consul stopped, hung, or answering garbage (an HTML page,
// truncated JSON) changes nothing in HAProxy and clients keep connecting through both ports;
// once the real Consul is back, a change made then is applied. One stack for every case.
#include <doctest/doctest.h>
#include <httplib.h>

#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>

#include "tests/harness/consul_health.h"
#include "tests/harness/eventually.h"
#include "tests/integration/controller_live_fixture.h"

namespace shardgate::integration {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kObservePeriod{200};
// The dev server binds with SO_REUSEPORT alone (httplib's default), so it cannot bind while the
// old server's side of a connection a client keeps idle in its pool (CLOSE-WAIT) lingers in
// FIN-WAIT-2: until the client uses the connection or the kernel drops it (tcp_fin_timeout, 60 s).
constexpr milliseconds kRebindTimeout{60000};
constexpr int64_t kShard1Key = 42;    // through the rw port: shard_1's primary
constexpr int64_t kShard2Key = 7000;  // through the ro port: shard_2's replica

harness::Stack* OutageStack() {
  harness::StackOptions options = LiveStackOptions();
  options.consul_snapshot = true;  // the rules survive consul()->Restart()
  // A hung Consul is noticed after consul_wait + consul_wait/16 + consul_timeout, about 4 s.
  options.controller_args = {"--consul_wait=2s", "--consul_timeout=2s"};
  return SharedStack(options);
}

// What clients, HAProxy and the controller showed while Consul was out.
struct Observation {
  int connections = 0;                // psql runs through either port
  std::vector<std::string> failures;  // runs that did not reach the expected node
  std::vector<std::string> changes;   // HAProxy views that differed from the wanted one
  int samples = 0;                    // /metrics reads
  int consul_down_samples = 0;        // of them, with shardgate_consul_up 0
  double last_consul_up = -1;
};

// One connection through `port` with `key`; a failure when it does not reach `want`.
void Connect(Observation& seen, int port, int64_t key, const std::string& want, double at_ms) {
  std::string got = NodeVia(port, key);
  seen.connections += 1;
  if (got != want) {
    seen.failures.push_back("at " + std::to_string(at_ms) + " ms, port " + std::to_string(port) +
                            ": " + got);
  }
}

// Every ~200 ms for at least `duration`, then until `until` holds (at most `limit` in all): one
// psql through each port, HAProxy's view against `want`, the controller's shardgate_consul_up.
Observation Observe(
    harness::Stack& stack, const HaproxyView& want, milliseconds duration,
    const std::function<bool()>& until = [] { return true; }, milliseconds limit = seconds(60)) {
  Observation seen;
  const auto start = Clock::now();
  for (auto next = start;
       Clock::now() - start < duration || (!until() && Clock::now() - start < limit);
       next += kObservePeriod) {
    std::this_thread::sleep_until(next);
    double at_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    Connect(seen, stack.rw_port(), kShard1Key, "shard_1/n1", at_ms);
    Connect(seen, stack.ro_port(), kShard2Key, "shard_2/n2", at_ms);
    Result<HaproxyView> view = ReadView(stack.haproxy()->socket(),
                                        stack.config_spec().ranges_map_path);
    if (!view.ok() || !(*view == want)) {
      std::ostringstream text;
      text << "at " << at_ms << " ms: ";
      if (view.ok()) text << *view;
      else text << view.status().ToString();
      seen.changes.push_back(text.str());
    }
    Result<double> up = stack.controller()->Metric("shardgate_consul_up");
    seen.samples += 1;
    if (up.ok()) seen.last_consul_up = *up;
    if (up.ok() && *up == 0) seen.consul_down_samples += 1;
  }
  return seen;
}

// Every connection reached its node and HAProxy never changed.
void CheckNothingChanged(const Observation& seen, int min_connections) {
  INFO("first failures: " << (seen.failures.empty() ? "" : seen.failures.front()));
  INFO("first change: " << (seen.changes.empty() ? "" : seen.changes.front()));
  CHECK(seen.failures.empty());
  CHECK(seen.changes.empty());
  CHECK(seen.connections >= min_connections);
  MESSAGE(seen.connections << " connections, " << seen.failures.size() << " failed; "
                           << seen.samples << " metric reads, " << seen.consul_down_samples
                           << " with shardgate_consul_up 0");
}

// Every agent's service passes in Consul (after a restart of the dev server, which keeps only KV,
// once each agent has registered again).
void WaitAgentsPassing(harness::Stack& stack) {
  std::vector<harness::ExpectedInstance> expected;
  for (harness::PgNode* node : stack.Nodes()) {
    expected.push_back({node->cluster_name(), stack.Agent(*node)->service_id()});
  }
  Status passing = harness::WaitInstancesPassing(stack.consul()->address(), stack.consul_service(),
                                                 expected, seconds(30));
  REQUIRE_MESSAGE(passing.ok(), passing.ToString());
}

// HAProxy's view once every agent passes and the view stayed the same for a second.
HaproxyView SettledView(harness::Stack& stack) {
  WaitAgentsPassing(stack);
  HaproxyView view = CurrentView(stack);
  auto same_since = Clock::now();
  bool settled = harness::Eventually(
      [&] {
        HaproxyView now = CurrentView(stack);
        if (!(now == view)) {
          view = now;
          same_since = Clock::now();
        }
        return Clock::now() - same_since >= seconds(1);
      },
      seconds(15));
  REQUIRE_MESSAGE(settled, "HAProxy kept changing; last: " << view);
  return view;
}

// Starts the stopped dev Consul again on its port (its KV from the snapshot), retrying while the
// port is held (kRebindTimeout).
void RestartConsul(harness::ConsulDev& consul) {
  Status restarted = Status::Ok();
  bool up = harness::Eventually([&] { return (restarted = consul.Restart()).ok(); },
                                kRebindTimeout);
  REQUIRE_MESSAGE(up, restarted.ToString());
}

// After Consul restarted: HAProxy is back at `want` with every agent registered again, and the
// controller reads Consul again.
void WaitConsulBack(harness::Stack& stack, const HaproxyView& want) {
  WaitAgentsPassing(stack);
  Result<HaproxyView> view = WaitView(stack.haproxy()->socket(),
                                      stack.config_spec().ranges_map_path, want, seconds(20));
  REQUIRE_MESSAGE(view.ok(), view.status().ToString());
  CHECK(*view == want);
  Result<double> up = WaitMetric(
      *stack.controller(), "shardgate_consul_up", [](double v) { return v == 1; }, seconds(20));
  REQUIRE_MESSAGE(up.ok(), up.status().ToString());
  CHECK(*up == 1);
}

// A new rule moves key `lo` + 50 to shard_2 within `timeout`: the controller follows Consul again.
void CheckRuleApplied(harness::Stack& stack, int64_t lo, milliseconds timeout) {
  Result<controller::RuleSet> rules = AddRule(stack, lo, lo + 99, "shard_2");
  REQUIRE_MESSAGE(rules.ok(), rules.status().ToString());
  auto written = Clock::now();
  CHECK(WaitNodeVia(stack.rw_port(), lo + 50, "shard_2/n1", timeout) == "shard_2/n1");
  MESSAGE("the new rule routed "
          << std::chrono::duration_cast<milliseconds>(Clock::now() - written).count()
          << " ms after it was written");
  CHECK(CurrentView(stack).map_version == MapVersionNow(*rules));
}

TEST_CASE(
    "Consul stopped for 30 s, then hung for 10 s, changes nothing in HAProxy, and a rule written after is applied") {
  harness::Stack* stack = OutageStack();
  REQUIRE(stack != nullptr);
  harness::ConsulDev& consul = *stack->consul();
  const HaproxyView before = SettledView(*stack);

  REQUIRE(consul.Stop().ok());
  Observation stopped = Observe(*stack, before, seconds(30));
  CheckNothingChanged(stopped, 120);
  CHECK(stopped.last_consul_up == 0);

  RestartConsul(consul);
  WaitConsulBack(*stack, before);

  REQUIRE(::kill(consul.pid(), SIGSTOP) == 0);
  Observation hung = Observe(*stack, before, seconds(10));
  REQUIRE(::kill(consul.pid(), SIGCONT) == 0);
  CheckNothingChanged(hung, 40);
  CHECK(hung.consul_down_samples > 0);
  CHECK(hung.last_consul_up == 0);

  CheckRuleApplied(*stack, 100, seconds(15));
}

// An HTTP server on Consul's port that answers every request with one fixed reply, and counts
// the controller's requests (health and KV reads; the agents only use /v1/agent/).
class GarbageConsul {
 public:
  struct Reply {
    std::string content_type;
    std::string body;
    std::string consul_index;  // X-Consul-Index; empty: none
  };

  // Binds `port` with SO_REUSEADDR alone: httplib's default, SO_REUSEPORT alone, cannot bind
  // while the stopped server's side of a connection its client has not closed yet (CLOSE-WAIT in
  // a connection pool) lingers in FIN-WAIT-2 without an owner.
  explicit GarbageConsul(int port) {
    for (auto route : {&httplib::Server::Get, &httplib::Server::Put, &httplib::Server::Post,
                       &httplib::Server::Delete}) {
      (server_.*route)(".*", [this](const httplib::Request& req, httplib::Response& res) {
        Answer(req, res);
      });
    }
    server_.set_socket_options([](int sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    });
    server_.set_keep_alive_max_count(1);  // one request per connection: stop() is prompt
    bound_ = server_.bind_to_port("127.0.0.1", port);
    if (bound_) thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~GarbageConsul() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  bool bound() const { return bound_; }
  void Serve(Reply reply) {
    std::lock_guard<std::mutex> lock(mu_);
    reply_ = std::move(reply);
    controller_requests_ = 0;
  }
  int controller_requests() const { return controller_requests_; }

 private:
  void Answer(const httplib::Request& req, httplib::Response& res) {
    if (req.path.rfind("/v1/health/", 0) == 0 || req.path.rfind("/v1/kv/", 0) == 0) {
      controller_requests_ += 1;
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (!reply_.consul_index.empty()) res.set_header("X-Consul-Index", reply_.consul_index);
    res.status = 200;
    res.set_content(reply_.body, reply_.content_type.c_str());
  }

  httplib::Server server_;
  bool bound_ = false;
  std::thread thread_;
  std::mutex mu_;
  Reply reply_;
  std::atomic<int> controller_requests_{0};
};

// Serves `reply` for at least 3 s and until the controller asked twice; HAProxy must not change.
void CheckGarbageIgnored(harness::Stack& stack, GarbageConsul& fake, const std::string& what,
                         GarbageConsul::Reply reply, const HaproxyView& want) {
  INFO("Consul's port answers " << what);
  fake.Serve(std::move(reply));
  Observation seen = Observe(
      stack, want, seconds(3), [&] { return fake.controller_requests() >= 2; }, seconds(20));
  CHECK(fake.controller_requests() >= 2);
  CheckNothingChanged(seen, 12);
  CHECK(seen.last_consul_up == 0);
}

TEST_CASE(
    "an HTML page or truncated JSON on Consul's port changes nothing in HAProxy, and the real Consul back, a rule is applied") {
  harness::Stack* stack = OutageStack();
  REQUIRE(stack != nullptr);
  harness::ConsulDev& consul = *stack->consul();
  const HaproxyView before = SettledView(*stack);

  REQUIRE(consul.Stop().ok());
  {
    GarbageConsul fake(consul.port());
    REQUIRE(fake.bound());
    CheckGarbageIgnored(*stack, fake, "an HTML page",
                        {"text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>", ""},
                        before);
    CheckGarbageIgnored(*stack, fake, "truncated JSON",
                        {"application/json",
                         R"([{"Node":{"ID":"0b1c","Node":"shardgate-dev","Address":"127.)",
                         "1000000"},
                        before);
  }

  RestartConsul(consul);
  WaitConsulBack(*stack, before);
  CheckRuleApplied(*stack, 300, seconds(15));
}

}  // namespace
}  // namespace shardgate::integration
