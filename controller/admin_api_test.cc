// Tests for AdminApi's handlers through its route table, against the dev Consul's KV and txn
// handlers in process: what the caller sees (status, code, body, ETag) and what the store holds.
#include "controller/admin_api.h"

#include <doctest/doctest.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "controller/fleet_report.h"
#include "controller/kv_layout.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_sleeper.h"
#include "tests/fakes/in_process_consul.h"
#include "tests/fakes/steered_transport.h"

namespace shardgate::controller {
namespace {

using Json = nlohmann::json;

constexpr char kCluster[] = "orders";
constexpr char kMap[] = "/api/v1/routing-map";
constexpr char kRwToken[] = "rw-secret-0123456789";
constexpr char kRoToken[] = "ro-secret-0123456789";

model::NodeRecord Node(std::string shard) {
  model::NodeRecord n;
  n.cluster = kCluster;
  n.shard = shard;
  n.node = shard + "-a";
  return n;
}

DesiredShard Writable(std::string shard) {
  DesiredShard d;
  d.shard = shard;
  d.primary = shard + "-a";
  return d;
}

// What Consul tells the controller about shards; tests change it before a request.
struct Topology {
  std::optional<std::vector<model::NodeRecord>> nodes =
      std::vector<model::NodeRecord>{Node("shard_1"), Node("shard_2"), Node("shard_3")};
  std::vector<DesiredShard> shards = {Writable("shard_1"), Writable("shard_2"),
                                      Writable("shard_3")};
};

// One controller's admin API (its own client, store and lock) on a Consul transport.
struct Controller {
  Controller(consul::HttpTransport& consul, const Clock& clock, Sleeper& sleeper,
             const Topology& topology, AdminApiOptions options)
      : client(consul, consul::ClientConfig{}),
        store(client, clock, kCluster),
        metrics(clock),
        api(store, client, clock, sleeper, metrics, std::move(options),
            AdminApiSources{[&topology] { return topology.nodes; },
                            [&topology] { return topology.shards; },
                            [] { return std::vector<HaproxyServers>{}; }}) {
    api.Register(routes);
  }
  HttpResponse Do(const HttpRequest& request) const { return routes.Dispatch(request); }

  consul::Client client;
  RuleStore store;
  ControllerMetrics metrics;
  AdminApi api;
  HttpRoutes routes;
};

AdminApiOptions Options(TokenSet tokens = {}) {
  return AdminApiOptions{kCluster, "lb-1", std::move(tokens)};
}

struct Fixture {
  explicit Fixture(AdminApiOptions options = Options())
      : controller(steered, clock, sleeper, topology, std::move(options)) {}

  // A second controller on the same Consul, reaching it directly (not through `steered`).
  std::unique_ptr<Controller> Another() {
    return std::make_unique<Controller>(consul, clock, sleeper, topology, Options());
  }
  HttpResponse Do(const HttpRequest& request) { return controller.Do(request); }
  RuleSet Stored() { return RuleStore(raw, clock, kCluster).Load().value().set; }
  std::vector<HistoryEntry> History() {
    return RuleStore(raw, clock, kCluster).History(100).value();
  }

  testing::FakeClock clock;
  testing::FakeSleeper sleeper{clock};
  testing::InProcessConsul consul;
  testing::SteeredTransport steered{consul, clock};
  consul::Client raw{consul, consul::ClientConfig{}};
  Topology topology;
  Controller controller;
};

HttpRequest Request(std::string method, std::string path, std::string body = "",
                    std::map<std::string, std::string> query = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  if (!r.body.empty()) r.headers["content-type"] = "application/json";
  r.query = std::move(query);
  return r;
}

HttpRequest With(HttpRequest r, const std::string& header, const std::string& value) {
  r.headers[header] = value;
  return r;
}

std::string RuleBody(std::string range, std::string shard, Json extra = Json::object()) {
  Json body = {{"partition_key_range", std::move(range)}, {"target_backend", std::move(shard)}};
  body.update(extra);
  return body.dump();
}

HttpRequest Post(std::string range, std::string shard, Json extra = Json::object(),
                 std::map<std::string, std::string> query = {}) {
  return Request("POST", kMap, RuleBody(std::move(range), std::move(shard), std::move(extra)),
                 std::move(query));
}

Json Body(const HttpResponse& r) { return Json::parse(r.body); }
std::string Code(const HttpResponse& r) { return Body(r)["error"]["code"].get<std::string>(); }
std::string ETag(const HttpResponse& r) {
  auto it = r.headers.find("ETag");
  return it == r.headers.end() ? "" : it->second;
}

// Posts and requires success; the acknowledged rule id.
uint64_t Added(Fixture& f, std::string range, std::string shard) {
  HttpResponse r = f.Do(Post(std::move(range), std::move(shard)));
  REQUIRE(r.status == 201);
  return Body(r)["rule"]["id"].get<uint64_t>();
}

TEST_CASE("a POST adds a rule: 201 with the rule, the next version, the change and the ETag") {
  Fixture f;
  HttpResponse r = f.Do(Post("1000-2000", "shard_3", {{"reason", "hot tenants"}}));
  REQUIRE(r.status == 201);
  Json body = Body(r);
  CHECK(body["rule"]["id"] == 1);
  CHECK(body["rule"]["lo"] == 1000);
  CHECK(body["rule"]["hi"] == 2000);
  CHECK(body["rule"]["target_backend"] == "shard_3");
  CHECK(body["rule"]["created_by"] == "anonymous");
  CHECK(body["version"] == 1);
  CHECK(body["map_version"] == MapVersion(f.Stored(), f.clock.WallNow()));
  CHECK(body["dry_run"] == false);
  CHECK(body["change"] == Json::parse(R"([{"lo":1000,"hi":2000,"from":null,"to":"shard_3"}])"));
  CHECK(ETag(r) == "\"1\"");

  RuleSet stored = f.Stored();
  CHECK(stored.version == 1);
  REQUIRE(stored.rules.size() == 1);
  CHECK(stored.rules[0].shard == "shard_3");
  std::vector<HistoryEntry> history = f.History();
  REQUIRE(history.size() == 1);
  CHECK(history[0].version == 1);
  CHECK(history[0].action == "add");
  CHECK(history[0].who == "anonymous");
  CHECK(history[0].reason == "hot tenants");
}

TEST_CASE("GET answers the rules, the effective map and the version as ETag") {
  Fixture f;
  Added(f, "10-20", "shard_1");
  HttpResponse r = f.Do(Request("GET", kMap));
  REQUIRE(r.status == 200);
  CHECK(ETag(r) == "\"1\"");
  Json body = Body(r);
  CHECK(body["version"] == 1);
  REQUIRE(body["rules"].size() == 1);
  CHECK(body["effective"] == Json::parse(R"([{"lo":10,"hi":20,"target_backend":"shard_1"}])"));
}

TEST_CASE("a write prunes the rules that expired before it") {
  Fixture f;
  REQUIRE(f.Do(Post("1-9", "shard_1", {{"ttl", 60}})).status == 201);
  f.clock.Advance(std::chrono::seconds(61));
  CHECK(Body(f.Do(Request("GET", kMap)))["rules"].empty());
  const uint64_t id = Added(f, "100-200", "shard_2");
  RuleSet stored = f.Stored();
  REQUIRE(stored.rules.size() == 1);
  CHECK(stored.rules[0].id == id);
}

TEST_CASE("PUT replaces every rule and records a replace") {
  Fixture f;
  Added(f, "1-9", "shard_1");
  Json body = {{"rules",
                {{{"partition_key_range", "10-19"}, {"target_backend", "shard_2"}},
                 {{"partition_key_range", "20-29"}, {"target_backend", "shard_3"}}}},
               {"reason", "bulk load"}};
  HttpResponse r = f.Do(Request("PUT", kMap, body.dump()));
  REQUIRE(r.status == 200);
  CHECK(Body(r)["rule_count"] == 2);
  CHECK(ETag(r) == "\"2\"");
  CHECK(f.Stored().rules.size() == 2);
  CHECK(f.History()[0].action == "replace");
  CHECK(f.History()[0].reason == "bulk load");
}

TEST_CASE("a change without Content-Type application/json is 415 and writes nothing") {
  Fixture f;
  HttpRequest r = Post("1-9", "shard_1");
  r.headers["content-type"] = "text/plain";
  HttpResponse answer = f.Do(r);
  CHECK(answer.status == 415);
  CHECK(Code(answer) == "unsupported_media_type");
  CHECK(f.Stored().version == 0);
}

TEST_CASE("a CAS conflict without If-Match is retried and both changes land") {
  Fixture f;
  auto other = f.Another();
  // Given another controller writes between this one's Load and Commit,
  f.steered.BeforeNextTxn([&] { REQUIRE(other->Do(Post("5", "shard_2")).status == 201); });
  HttpResponse r = f.Do(Post("100-200", "shard_1"));
  // then the change is re-applied on top of it.
  REQUIRE(r.status == 201);
  CHECK(Body(r)["version"] == 2);
  CHECK(Body(r)["rule"]["id"] == 2);
  CHECK(ETag(r) == "\"2\"");
  RuleSet stored = f.Stored();
  CHECK(stored.version == 2);
  REQUIRE(stored.rules.size() == 2);
  CHECK(stored.rules[0].shard == "shard_2");
  CHECK(stored.rules[1].shard == "shard_1");
  CHECK(f.History().size() == 2);
  CHECK(f.sleeper.sleeps().size() == 1);  // one jittered backoff before the retry
}

TEST_CASE("with If-Match pinned, a conflicting write answers 412 and nothing of it is written") {
  Fixture f;
  Added(f, "1-9", "shard_1");
  auto other = f.Another();
  f.steered.BeforeNextTxn([&] { REQUIRE(other->Do(Post("50", "shard_2")).status == 201); });
  HttpResponse r = f.Do(
      With(Post("100-200", "shard_3", {{"reason", "pinned"}}), "if-match", "\"1\""));
  CHECK(r.status == 412);
  CHECK(Code(r) == "version_mismatch");
  RuleSet stored = f.Stored();
  CHECK(stored.version == 2);
  for (const RoutingRule& rule : stored.rules) CHECK(rule.shard != "shard_3");
  for (const HistoryEntry& h : f.History()) CHECK(h.reason != "pinned");
}

TEST_CASE("a change that loses every CAS race gives up after max_cas_attempts with 503") {
  AdminApiOptions options = Options();
  options.max_cas_attempts = 3;
  Fixture f(options);
  auto other = f.Another();
  int key = 0;
  // Given another controller writes before each of this one's commits,
  std::function<void()> compete = [&] {
    REQUIRE(other->Do(Post(std::to_string(++key), "shard_2")).status == 201);
    f.steered.BeforeNextTxn(compete);
  };
  f.steered.BeforeNextTxn(compete);
  HttpResponse r = f.Do(Post("100-200", "shard_1"));
  f.steered.BeforeNextTxn(nullptr);
  // then it stops after three tries, and only the other controller's rules are stored.
  CHECK(r.status == 503);
  CHECK(key == 3);
  CHECK(f.sleeper.sleeps().size() == 2);
  RuleSet stored = f.Stored();
  CHECK(stored.version == 3);
  for (const RoutingRule& rule : stored.rules) CHECK(rule.shard == "shard_2");
}

TEST_CASE("If-Match naming an older version answers 412 before anything is applied") {
  Fixture f;
  Added(f, "1-9", "shard_1");
  HttpResponse r = f.Do(With(Post("100-200", "shard_3"), "if-match", "\"0\""));
  CHECK(r.status == 412);
  CHECK(Code(r) == "version_mismatch");
  CHECK(f.Do(With(Post("100-200", "shard_3"), "if-match", "\"1\"")).status == 201);
  CHECK(f.Stored().version == 2);
}

// Posts `count` one-key rules from this thread; the acknowledged ids with their keys.
void PostMany(Controller& c, int64_t first_key, int count, std::map<uint64_t, int64_t>& acked,
              std::mutex& mu, std::atomic<int>& server_errors) {
  for (int i = 0; i < count; ++i) {
    const int64_t key = first_key + i;
    HttpResponse r = c.Do(Post(std::to_string(key), "shard_" + std::to_string(key % 3 + 1)));
    if (r.status >= 500) ++server_errors;
    if (r.status != 201) continue;
    std::lock_guard lock(mu);
    acked[Body(r)["rule"]["id"].get<uint64_t>()] = key;
  }
}

TEST_CASE("two controllers posting from many threads lose no acknowledged change") {
  Fixture f;
  auto other = f.Another();
  constexpr int kThreads = 8, kEach = 25;
  std::map<uint64_t, int64_t> acked;  // rule id -> its key
  std::mutex mu;
  std::atomic<int> server_errors{0};
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      Controller& c = t % 2 == 0 ? f.controller : *other;
      threads.emplace_back([&, t] { PostMany(c, t * 1000, kEach, acked, mu, server_errors); });
    }
  }
  CHECK(server_errors == 0);
  CHECK(acked.size() == size_t(kThreads * kEach));
  RuleSet stored = f.Stored();
  CHECK(stored.version == acked.size());
  std::map<uint64_t, int64_t> present;
  for (const RoutingRule& rule : stored.rules) present[rule.id] = rule.lo;
  for (const auto& [id, key] : acked) {
    INFO("rule " << id);
    REQUIRE(present.contains(id));
    CHECK(present[id] == key);
  }
}

TEST_CASE("Consul unreachable answers 503 consul_unavailable") {
  Fixture f;
  f.consul.FailWhen([](const consul::HttpRequest&) { return true; });
  HttpResponse r = f.Do(Post("1-9", "shard_1"));
  CHECK(r.status == 503);
  CHECK(Code(r) == "consul_unavailable");
  CHECK(f.Do(Request("GET", kMap)).status == 503);
  CHECK(f.Do(Request("GET", std::string(kMap) + "/versions")).status == 503);
}

TEST_CASE("a failed transaction answers 503 and leaves the version as it was") {
  Fixture f;
  Added(f, "1-9", "shard_1");
  f.consul.FailWhen([](const consul::HttpRequest& r) { return r.path == "/v1/txn"; });
  HttpResponse r = f.Do(Post("100-200", "shard_2"));
  CHECK(r.status == 503);
  CHECK(Code(r) == "consul_unavailable");
  f.consul.FailWhen({});
  CHECK(f.Stored().version == 1);
  CHECK(f.Stored().rules.size() == 1);
  CHECK(f.History().size() == 1);
}

TEST_CASE("dry_run answers 200 with what the change would do and writes nothing") {
  Fixture f;
  Added(f, "1-9", "shard_1");
  HttpResponse r = f.Do(Post("100-200", "shard_2", Json::object(), {{"dry_run", "true"}}));
  REQUIRE(r.status == 200);
  Json body = Body(r);
  CHECK(body["dry_run"] == true);
  CHECK(body["version"] == 2);
  CHECK(body["current_version"] == 1);
  CHECK(body["rule"]["target_backend"] == "shard_2");
  CHECK(body["change"].size() == 1);
  CHECK(ETag(r) == "\"1\"");
  CHECK(f.Stored().version == 1);
  CHECK(f.History().size() == 1);
}

// The report of controller `id` with one HAProxy running range map `map_version`.
void Report(Fixture& f, std::string id, uint64_t map_version) {
  InstanceApplied inst;
  inst.name = "/run/haproxy.sock";
  inst.ok = true;
  inst.map_version = map_version;
  FleetReport report{id, f.clock.WallNow(), {inst}};
  REQUIRE(f.raw.Put(ControllerReportKey(kCluster, id), EncodeFleetReport(report)).ok());
}

TEST_CASE("wait=applied without any controller report answers 202 done=false at the timeout") {
  Fixture f;
  const SteadyTime started = f.clock.Now();
  HttpResponse r = f.Do(
      Post("1-9", "shard_1", Json::object(), {{"wait", "applied"}, {"timeout", "50ms"}}));
  CHECK(r.status == 202);
  Json body = Body(r);
  CHECK(body["applied"]["done"] == false);
  CHECK(body["applied"]["instances"].empty());
  CHECK(f.clock.Now() - started >= Millis(50));
  CHECK(f.Stored().version == 1);  // the change stays made
}

TEST_CASE("wait=applied answers 201 done=true once every reported HAProxy runs the version") {
  Fixture f;
  RuleSet next;
  next.version = 1;
  Report(f, "lb-2", MapVersion(next, f.clock.WallNow()));
  HttpResponse r = f.Do(
      Post("1-9", "shard_1", Json::object(), {{"wait", "applied"}, {"timeout", "50ms"}}));
  CHECK(r.status == 201);
  Json applied = Body(r)["applied"];
  CHECK(applied["done"] == true);
  REQUIRE(applied["instances"].size() == 1);
  CHECK(applied["instances"][0]["controller"] == "lb-2");
  CHECK(applied["pending"].empty());
}

TEST_CASE("wait=applied lists an HAProxy still on an older version as pending") {
  Fixture f;
  Report(f, "lb-2", MapVersion(RuleSet{}, f.clock.WallNow()));
  HttpResponse r = f.Do(
      Post("1-9", "shard_1", Json::object(), {{"wait", "applied"}, {"timeout", "50ms"}}));
  CHECK(r.status == 202);
  CHECK(Body(r)["applied"]["pending"].size() == 1);
}

TokenSet Tokens() {
  return ParseTokens(std::string("ops rw ") + kRwToken + "\nviewer ro " + kRoToken + "\n").value();
}

HttpRequest Bearer(HttpRequest r, const std::string& token) {
  return With(std::move(r), "authorization", "Bearer " + token);
}

TEST_CASE("with tokens: none is 401, ro may read but not change, rw changes as its name") {
  Fixture f(Options(Tokens()));
  HttpResponse none = f.Do(Post("1-9", "shard_1"));
  CHECK(none.status == 401);
  CHECK(Code(none) == "unauthenticated");
  CHECK(none.headers["WWW-Authenticate"] == "Bearer");
  CHECK(f.Do(Request("GET", kMap)).status == 401);
  CHECK(f.Do(Bearer(Request("GET", kMap), "not-a-token-at-all")).status == 401);

  HttpResponse ro_post = f.Do(Bearer(Post("1-9", "shard_1"), kRoToken));
  CHECK(ro_post.status == 403);
  CHECK(Code(ro_post) == "forbidden");
  CHECK(f.Do(Bearer(Request("GET", kMap), kRoToken)).status == 200);
  CHECK(f.Stored().version == 0);

  HttpResponse rw_post = f.Do(Bearer(Post("1-9", "shard_1"), kRwToken));
  REQUIRE(rw_post.status == 201);
  CHECK(Body(rw_post)["rule"]["created_by"] == "ops");
  REQUIRE(f.History().size() == 1);
  CHECK(f.History()[0].who == "ops");
}

TEST_CASE("a target shard Consul does not know is 409 unknown_shard unless forced") {
  Fixture f;
  HttpResponse r = f.Do(Post("1-9", "shard_9"));
  CHECK(r.status == 409);
  CHECK(Code(r) == "unknown_shard");
  CHECK(Body(r)["error"]["field"] == "target_backend");
  CHECK(f.Stored().version == 0);
  CHECK(f.Do(Post("1-9", "shard_9", {{"force", true}})).status == 201);
}

TEST_CASE("a target shard without a writable primary is 409 no_healthy_primary unless forced") {
  Fixture f;
  f.topology.shards[1].primary.reset();
  f.topology.shards[1].write_block = WriteBlock::kNoPrimary;
  HttpResponse r = f.Do(Post("1-9", "shard_2"));
  CHECK(r.status == 409);
  CHECK(Code(r) == "no_healthy_primary");
  CHECK(f.Stored().version == 0);
  CHECK(f.Do(Post("1-9", "shard_2", {{"force", true}})).status == 201);
}

TEST_CASE("before Consul was heard from, a change is 503 unless forced") {
  Fixture f;
  f.topology.nodes.reset();
  HttpResponse r = f.Do(Post("1-9", "shard_1"));
  CHECK(r.status == 503);
  CHECK(Code(r) == "consul_unavailable");
  CHECK(f.Stored().version == 0);
  CHECK(f.Do(Post("1-9", "shard_1", {{"force", true}})).status == 201);
}

TEST_CASE("DELETE of an unknown or malformed rule id is 404 unknown_rule") {
  Fixture f;
  Added(f, "1-9", "shard_1");
  HttpResponse r = f.Do(Request("DELETE", std::string(kMap) + "/rules/42"));
  CHECK(r.status == 404);
  CHECK(Code(r) == "unknown_rule");
  CHECK(f.Do(Request("DELETE", std::string(kMap) + "/rules/abc")).status == 404);
  CHECK(f.Stored().version == 1);
}

TEST_CASE("DELETE removes the rule and records who deleted it") {
  Fixture f;
  const uint64_t id = Added(f, "1-9", "shard_1");
  HttpResponse r = f.Do(Request("DELETE", std::string(kMap) + "/rules/" + std::to_string(id)));
  REQUIRE(r.status == 200);
  CHECK(Body(r)["deleted"]["id"] == id);
  CHECK(ETag(r) == "\"2\"");
  CHECK(f.Stored().rules.empty());
  CHECK(f.History()[0].action == "delete");
}

HttpRequest RollbackRequest(uint64_t version) {
  return Request("POST", std::string(kMap) + "/rollback", Json{{"version", version}}.dump());
}

TEST_CASE("rollback to a version that was never written is 404 unknown_version") {
  Fixture f;
  Added(f, "1-9", "shard_1");
  HttpResponse r = f.Do(RollbackRequest(99));
  CHECK(r.status == 404);
  CHECK(Code(r) == "unknown_version");
  CHECK(f.Stored().version == 1);
}

TEST_CASE("rollback restores the rules of an older version as a new version") {
  Fixture f;
  const uint64_t first = Added(f, "1-9", "shard_1");
  Added(f, "100-200", "shard_2");
  REQUIRE(f.Do(Request("DELETE", std::string(kMap) + "/rules/" + std::to_string(first))).status ==
          200);
  HttpResponse r = f.Do(RollbackRequest(1));
  REQUIRE(r.status == 200);
  CHECK(Body(r)["version"] == 4);
  CHECK(Body(r)["restored_from"] == 1);
  RuleSet stored = f.Stored();
  CHECK(stored.version == 4);
  REQUIRE(stored.rules.size() == 1);
  CHECK(stored.rules[0].lo == 1);
  CHECK(stored.rules[0].hi == 9);
  CHECK(stored.rules[0].shard == "shard_1");
  CHECK(f.History()[0].action == "rollback");
}

}  // namespace
}  // namespace shardgate::controller
