// Integration tests of the Consul client (CurlTransport + Client + Watcher) against a real
// shardgate-consul-dev process on 127.0.0.1: what a caller observes, including server restarts.
#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "consul/client.h"
#include "consul/curl_transport.h"
#include "consul/watch.h"
#include "tests/harness/consul_dev_process.h"
#include "tests/harness/eventually.h"
#include "tests/harness/temp_dir.h"

namespace shardgate::consul {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A client bound to one dev server (the transport outlives the client).
struct Connection {
  std::unique_ptr<CurlTransport> transport;
  std::unique_ptr<Client> client;
};

Connection Connect(const std::string& address, std::string token = "") {
  ClientConfig config;
  config.address = "http://" + address;
  config.token = std::move(token);
  config.request_timeout = seconds(5);
  auto transport = CurlTransport::Create({config.address, "", milliseconds(1000)});
  REQUIRE(transport.ok());
  Connection connection{std::move(transport).value(), nullptr};
  connection.client = std::make_unique<Client>(*connection.transport, config);
  return connection;
}

std::unique_ptr<harness::TempDir> MakeTempDir() {
  auto dir = harness::TempDir::Create("consul-client-test");
  REQUIRE_MESSAGE(dir.ok(), dir.status().ToString());
  return std::move(dir).value();
}

std::unique_ptr<harness::ConsulDev> StartDev(harness::ConsulDevOptions options = {}) {
  auto dev = harness::ConsulDev::Start(options);
  REQUIRE_MESSAGE(dev.ok(), dev.status().ToString());
  return std::move(dev).value();
}

using harness::Eventually;

// What a key watcher delivered, readable from the test thread.
struct Observed {
  std::mutex mu;
  std::vector<std::string> values;  // "<missing>" for an absent key
  std::vector<uint64_t> indexes;
  int successes = 0;
  int errors = 0;
  std::vector<int> streaks;

  WatchCallbacks<std::optional<KvEntry>> Callbacks() {
    WatchCallbacks<std::optional<KvEntry>> callbacks;
    callbacks.on_change = [this](const std::optional<KvEntry>& entry, const QueryMeta& meta) {
      std::lock_guard lock(mu);
      values.push_back(entry ? entry->value : "<missing>");
      indexes.push_back(meta.index);
    };
    callbacks.on_success = [this](const QueryMeta&) {
      std::lock_guard lock(mu);
      ++successes;
    };
    callbacks.on_error = [this](const Status&, int streak) {
      std::lock_guard lock(mu);
      ++errors;
      streaks.push_back(streak);
    };
    return callbacks;
  }
  std::vector<std::string> Values() {
    std::lock_guard lock(mu);
    return values;
  }
  int Successes() {
    std::lock_guard lock(mu);
    return successes;
  }
  int Errors() {
    std::lock_guard lock(mu);
    return errors;
  }
};

WatchOptions ShortWaits() {
  WatchOptions options;
  options.wait = seconds(2);
  options.rate_burst = 100;  // the tests write quickly; the rate limit has its unit tests
  options.rate_interval = milliseconds(10);
  options.backoff_initial = milliseconds(100);
  options.backoff_max = milliseconds(800);
  return options;
}

// A running watcher on one key with what it observed. Destruction stops it.
struct KeyWatch {
  SystemClock clock;
  RealSleeper sleeper;
  Observed seen;
  std::unique_ptr<Watcher<std::optional<KvEntry>>> watcher;
};

std::unique_ptr<KeyWatch> WatchKey(Client& client, const std::string& key,
                                   WatchOptions options = ShortWaits()) {
  auto watch = std::make_unique<KeyWatch>();
  watch->watcher = std::make_unique<Watcher<std::optional<KvEntry>>>(
      watch->clock, watch->sleeper, options, KeyQuery(client, key), watch->seen.Callbacks());
  watch->watcher->Start();
  return watch;
}

}  // namespace

TEST_CASE("two writers racing with CAS on the same index: exactly one wins") {
  auto dev = StartDev();
  Connection a = Connect(dev->address());
  Connection b = Connect(dev->address());
  for (int round = 0; round < 20; ++round) {
    std::string key = "race/" + std::to_string(round);
    REQUIRE(a.client->Put(key, "start").ok());
    uint64_t index = a.client->Get(key).value()->modify_index;
    Result<bool> won_a = false, won_b = false;
    std::thread ta([&] { won_a = a.client->Cas(key, "a", index); });
    std::thread tb([&] { won_b = b.client->Cas(key, "b", index); });
    ta.join();
    tb.join();
    REQUIRE(won_a.ok());
    REQUIRE(won_b.ok());
    CHECK(*won_a != *won_b);
    CHECK(a.client->Get(key).value()->value == (*won_a ? "a" : "b"));
  }
  CHECK(a.client->Cas("race/new", "first", 0).value());
  CHECK_FALSE(b.client->Cas("race/new", "second", 0).value());
}

TEST_CASE("a rolled-back transaction leaves nothing changed and reports why") {
  auto dev = StartDev();
  Connection c = Connect(dev->address());
  REQUIRE(c.client->Put("txn/a", "1").ok());
  KvEntry before = *c.client->Get("txn/a").value();
  std::vector<TxnOp> ops{{TxnVerb::kSet, "txn/b", "2", 0, 0, ""},
                         {TxnVerb::kCheckIndex, "txn/a", "", 0, before.modify_index + 100, ""},
                         {TxnVerb::kSet, "txn/a", "changed", 0, 0, ""}};
  Result<TxnResult> result = c.client->Txn(ops);
  REQUIRE(result.ok());
  CHECK_FALSE(result->applied);
  REQUIRE(result->errors.size() == 1);
  CHECK(result->errors[0].op_index == 1);
  CHECK(result->errors[0].what.find("failed index check") != std::string::npos);
  CHECK_FALSE(c.client->Get("txn/b").value().has_value());
  CHECK(*c.client->Get("txn/a").value() == before);

  ops[1].index = before.modify_index;
  Result<TxnResult> applied = c.client->Txn(ops);
  REQUIRE(applied.ok());
  CHECK(applied->applied);
  CHECK(c.client->Get("txn/a").value()->value == "changed");
}

TEST_CASE("a watcher wakes on a change of its key and not on writes to other keys") {
  auto dev = StartDev();
  Connection c = Connect(dev->address());
  REQUIRE(c.client->Put("watch/key", "v1").ok());
  auto watch = WatchKey(*c.client, "watch/key");
  Observed& seen = watch->seen;
  REQUIRE(Eventually([&] { return seen.Values().size() == 1; }));
  for (int i = 0; i < 5; ++i) REQUIRE(c.client->Put("watch/other", std::to_string(i)).ok());
  REQUIRE(c.client->Put("watch/key", "v1").ok());  // idempotent: no change
  REQUIRE(c.client->Put("watch/key", "v2").ok());
  REQUIRE(Eventually([&] { return seen.Values().size() >= 2; }));
  watch->watcher->Stop();
  CHECK(seen.Values() == std::vector<std::string>{"v1", "v2"});
}

TEST_CASE("a watch on a missing key is woken by unrelated writes but reports no change") {
  auto dev = StartDev();
  Connection c = Connect(dev->address());
  auto watch = WatchKey(*c.client, "watch/absent");
  Observed& seen = watch->seen;
  REQUIRE(Eventually([&] { return seen.Successes() >= 1; }));
  // A missing key reports the store-wide index, so every write elsewhere wakes the query.
  for (int i = 0; i < 5; ++i) {
    int before = seen.Successes();
    REQUIRE(c.client->Put("watch/elsewhere", std::to_string(i)).ok());
    REQUIRE(Eventually([&] { return seen.Successes() > before; }));
  }
  CHECK(seen.Values() == std::vector<std::string>{"<missing>"});
  REQUIRE(c.client->Put("watch/absent", "here").ok());
  REQUIRE(Eventually([&] { return seen.Values().size() == 2; }));
  CHECK(seen.Values().back() == "here");
}

TEST_CASE("Stop returns promptly while a long blocking query is in flight") {
  auto dev = StartDev();
  Connection c = Connect(dev->address());
  REQUIRE(c.client->Put("watch/idle", "x").ok());
  SystemClock clock;
  RealSleeper sleeper;
  Observed seen;
  WatchOptions options = ShortWaits();
  options.wait = std::chrono::minutes(5);
  std::atomic<int> queries{0};
  auto fetch = [&, inner = KeyQuery(*c.client, "watch/idle")](const QueryOptions& q) {
    ++queries;
    return inner(q);
  };
  Watcher<std::optional<KvEntry>> watcher(clock, sleeper, options, fetch, seen.Callbacks());
  watcher.Start();
  REQUIRE(Eventually([&] { return seen.Successes() == 1 && queries == 2; }));
  auto start = std::chrono::steady_clock::now();
  watcher.Stop();
  CHECK(std::chrono::steady_clock::now() - start < seconds(3));
}

TEST_CASE("a watcher resets when the index goes backwards after restoring an older snapshot") {
  auto dir = MakeTempDir();
  harness::ConsulDevOptions options;
  options.snapshot = dir->path() / "kv.snapshot";
  auto dev = StartDev(options);
  Connection c = Connect(dev->address());
  REQUIRE(c.client->Put("snap/key", "old").ok());
  for (int i = 0; i < 5; ++i) REQUIRE(c.client->Put("snap/filler", std::to_string(i)).ok());
  std::filesystem::copy_file(options.snapshot, dir->path() / "older.snapshot");
  for (int i = 0; i < 20; ++i)
    REQUIRE(c.client->Put("snap/filler", "more" + std::to_string(i)).ok());
  REQUIRE(c.client->Put("snap/key", "new").ok());
  uint64_t new_index = c.client->Get("snap/key").value()->modify_index;

  auto watch = WatchKey(*c.client, "snap/key");
  Observed& seen = watch->seen;
  REQUIRE(Eventually([&] { return seen.Values().size() == 1; }));
  REQUIRE(dev->Stop().ok());
  std::filesystem::copy_file(dir->path() / "older.snapshot", options.snapshot,
                             std::filesystem::copy_options::overwrite_existing);
  REQUIRE(dev->Restart().ok());
  REQUIRE(Eventually([&] { return seen.Values().size() == 2; }, seconds(15)));
  watch->watcher->Stop();
  CHECK(seen.Values() == std::vector<std::string>{"new", "old"});
  CHECK(watch->watcher->policy().index() < new_index);
}

TEST_CASE("a watcher backs off while the server is down and recovers when it returns") {
  auto dev = StartDev();
  Connection c = Connect(dev->address());
  REQUIRE(c.client->Put("down/key", "before").ok());
  auto watch = WatchKey(*c.client, "down/key");
  Observed& seen = watch->seen;
  REQUIRE(Eventually([&] { return seen.Values().size() == 1; }));
  REQUIRE(dev->Stop().ok());
  auto down_at = std::chrono::steady_clock::now();
  REQUIRE(Eventually([&] { return seen.Errors() >= 4; }, seconds(15)));
  // Backoff with full jitter, ceilings 100, 200, 400, then 800 ms: about 8 failures in 2 s on
  // average, 30 only if nearly every random wait came out close to zero; an unthrottled loop
  // would fail hundreds of times a second. (A bound over a few failures, as this test once had,
  // is hit now and then by jitter alone.)
  std::this_thread::sleep_until(down_at + seconds(2));
  int errors_while_down = seen.Errors();
  CHECK(errors_while_down < 30);
  REQUIRE(dev->Restart().ok());
  Connection after = Connect(dev->address());
  REQUIRE(after.client->Put("down/key", "after").ok());
  REQUIRE(Eventually([&] { return !seen.Values().empty() && seen.Values().back() == "after"; },
                     seconds(15)));
  watch->watcher->Stop();
  std::lock_guard lock(seen.mu);
  for (size_t i = 1; i < seen.streaks.size() && seen.streaks[i] != 1; ++i) {
    CHECK(seen.streaks[i] == seen.streaks[i - 1] + 1);
  }
}

TEST_CASE("an ACL-protected server refuses a missing or wrong token with a 403 error value") {
  auto dir = MakeTempDir();
  std::filesystem::path token_file = dir->path() / "token";
  std::ofstream(token_file) << "management-secret\n";
  harness::ConsulDevOptions options;
  options.acl_token_file = token_file;
  auto dev = StartDev(options);

  Status anonymous = Connect(dev->address()).client->Put("acl/x", "v");
  CHECK(anonymous.code() == Code::kPermissionDenied);
  CHECK(anonymous.message().starts_with("consul PUT /v1/kv/acl/x: 403 Permission denied"));
  Status wrong = Connect(dev->address(), "not-the-token").client->Put("acl/x", "v");
  CHECK(wrong.code() == Code::kPermissionDenied);
  CHECK(wrong.message() == "consul PUT /v1/kv/acl/x: 403 ACL not found");
  CHECK(wrong.message().find("not-the-token") == std::string::npos);
  Connection good = Connect(dev->address(), "management-secret");
  CHECK(good.client->Put("acl/x", "v").ok());
  CHECK(good.client->Get("acl/x").value()->value == "v");
}

TEST_CASE("a session can be created, renewed and destroyed, after which renew says it is gone") {
  auto dev = StartDev();
  Connection c = Connect(dev->address());
  SessionRequest request;
  request.name = "shardgate-test";
  request.ttl = seconds(10);
  request.behavior = SessionBehavior::kDelete;
  request.lock_delay = milliseconds(0);
  Result<std::string> id = c.client->CreateSession(request);
  REQUIRE(id.ok());
  CHECK_FALSE(id->empty());
  auto renewed = c.client->RenewSession(*id);
  REQUIRE(renewed.ok());
  REQUIRE(renewed->has_value());
  CHECK((*renewed)->id == *id);
  CHECK((*renewed)->name == "shardgate-test");
  CHECK((*renewed)->behavior == SessionBehavior::kDelete);
  REQUIRE(c.client->DestroySession(*id).ok());
  auto gone = c.client->RenewSession(*id);
  REQUIRE(gone.ok());
  CHECK_FALSE(gone->has_value());
  CHECK(c.client->DestroySession(*id).ok());  // idempotent
}

TEST_CASE("a registered service shows in health as passing only after its TTL check passes") {
  auto dev = StartDev();
  Connection c = Connect(dev->address());
  ServiceRegistration r;
  r.id = "orders-shard_1-n1";
  r.name = "shardgate-orders";
  r.tags = {"primary"};
  r.address = "127.0.0.1";
  r.port = 5432;
  r.meta = {{"shard", "shard_1"}, {"role", "primary"}};
  r.weights = Weights{42, 1};
  r.check = TtlCheck{};
  r.check->ttl = seconds(30);
  r.check->deregister_critical_service_after = std::chrono::minutes(1);
  REQUIRE(c.client->RegisterService(r).ok());
  CHECK(c.client->HealthService("shardgate-orders", /*passing_only=*/true)->value.empty());
  auto all = c.client->HealthService("shardgate-orders", /*passing_only=*/false);
  REQUIRE(all.ok());
  REQUIRE(all->value.size() == 1);
  CHECK(all->value[0].service.weights == Weights{42, 1});

  REQUIRE(c.client->PassCheck("service:orders-shard_1-n1", "probe ok").ok());
  auto passing = c.client->HealthService("shardgate-orders", /*passing_only=*/true);
  REQUIRE(passing.ok());
  REQUIRE(passing->value.size() == 1);
  const ServiceEntry& entry = passing->value[0];
  CHECK(entry.service.id == "orders-shard_1-n1");
  CHECK(entry.service.meta.at("shard") == "shard_1");
  CHECK(entry.service.port == 5432);

  REQUIRE(c.client->UpdateTtlCheck("service:orders-shard_1-n1", CheckStatus::kWarning, "lag").ok());
  CHECK(c.client->HealthService("shardgate-orders", true)->value.empty());
  CHECK(c.client->PassCheck("service:nope", "").code() == Code::kNotFound);

  REQUIRE(c.client->EnableServiceMaintenance(r.id, "disk swap").ok());
  auto state = c.client->AgentService(r.id);
  REQUIRE(state.ok());
  REQUIRE(state->has_value());
  CHECK((*state)->in_maintenance);
  CHECK((*state)->maintenance_reason == "disk swap");
  REQUIRE(c.client->DisableServiceMaintenance(r.id).ok());
  CHECK_FALSE(c.client->AgentService(r.id).value()->in_maintenance);
  REQUIRE(c.client->DeregisterService(r.id).ok());
  CHECK_FALSE(c.client->AgentService(r.id).value().has_value());
}

}  // namespace shardgate::consul
