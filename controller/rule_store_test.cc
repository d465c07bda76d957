// Tests for RuleStore against the dev Consul's KV and txn handlers in process: commits and loads
// (inline and chunked), CAS conflicts, history, retention and corrupt chunks.
#include "controller/rule_store.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "controller/kv_layout.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/in_process_consul.h"

namespace shardgate::controller {
namespace {

constexpr char kCluster[] = "orders";

// `count` one-key rules, version `version`, each rule `padding` bytes of reason long.
RuleSet Rules(uint64_t version, size_t count, size_t padding = 0) {
  RuleSet set;
  set.version = version;
  for (size_t i = 0; i < count; ++i) {
    RoutingRule rule;
    rule.id = set.next_id++;
    rule.lo = rule.hi = int64_t(i) * 10;
    rule.shard = "shard_" + std::to_string(i % 4 + 1);
    rule.created_at = WallTime(std::chrono::hours(470000));
    rule.reason = std::string(padding, 'r') + std::to_string(version);
    rule.created_by = "ops";
    set.rules.push_back(std::move(rule));
  }
  return set;
}

HistoryEntry Change(std::string action) {
  HistoryEntry entry;
  entry.who = "ops";
  entry.action = std::move(action);
  entry.reason = "test";
  entry.summary = "a change";
  return entry;
}

// Options that push a set of a few rules into chunks, so tests stay small.
RuleStoreOptions Tiny(size_t history_keep = 100) { return {300, 100, history_keep}; }

struct Fixture {
  testing::InProcessConsul consul;
  consul::Client client{consul, consul::ClientConfig{}};
  testing::FakeClock clock;

  RuleStore Store(RuleStoreOptions options = {}) {
    return RuleStore(client, clock, kCluster, options);
  }

  // Commits `set` on top of whatever the store holds now.
  void CommitOnTop(RuleStore& store, const RuleSet& set, std::string action = "add") {
    Result<StoredRules> now = store.Load();
    REQUIRE(now.ok());
    REQUIRE(store.Commit(set, now->modify_index, Change(std::move(action))).ok());
  }
  std::string Head() { return client.Get(RulesKey(kCluster)).value()->value; }
  std::vector<std::string> Keys(const std::string& prefix, std::string_view separator = "") {
    return client.Keys(prefix, separator).value();
  }
  std::vector<std::string> Blobs() { return Keys(BlobsPrefix(kCluster), "/"); }
};

TEST_CASE("a store without a head loads an empty set at index 0") {
  Fixture f;
  Result<StoredRules> loaded = f.Store().Load();
  REQUIRE(loaded.ok());
  CHECK(loaded->modify_index == 0);
  CHECK(loaded->set == RuleSet{});
}

TEST_CASE("a small set is committed inline and loads back unchanged") {
  Fixture f;
  RuleStore store = f.Store();
  RuleSet set = Rules(1, 3);
  REQUIRE(store.Commit(set, 0, Change("seed")).ok());
  Result<StoredRules> loaded = store.Load();
  REQUIRE(loaded.ok());
  CHECK(loaded->set == set);
  CHECK(loaded->modify_index > 0);
  CHECK_FALSE(IsManifest(f.Head()));
  CHECK(f.Blobs().empty());
}

TEST_CASE("a 100,000-rule set is chunked within Consul's limits and loads back unchanged") {
  // The in-process handlers refuse values and transactions over 512 KiB, as Consul does.
  Fixture f;
  RuleStore store = f.Store();
  RuleSet set = Rules(1, 100000);
  REQUIRE(store.Commit(set, 0, Change("replace")).ok());
  CHECK(IsManifest(f.Head()));
  Result<StoredRules> loaded = store.Load();
  REQUIRE(loaded.ok());
  CHECK(loaded->set == set);
  Result<std::optional<RuleSet>> version = store.LoadVersion(1);
  REQUIRE(version.ok());
  CHECK(*version == set);
}

TEST_CASE("a set between half the inline limit and the limit is inline in the head only") {
  Fixture f;
  RuleStore store = f.Store({2000, 100, 100});
  RuleSet set = Rules(1, 1, 1200);
  REQUIRE(store.Commit(set, 0, Change("add")).ok());
  CHECK_FALSE(IsManifest(f.Head()));
  CHECK(f.Blobs().size() == 1);
  CHECK(store.Load()->set == set);
  CHECK(store.LoadVersion(1).value() == set);
}

TEST_CASE("a commit on a stale index is a conflict and leaves none of its chunks behind") {
  Fixture f;
  RuleStore store = f.Store(Tiny());
  f.CommitOnTop(store, Rules(1, 5));
  const uint64_t index = store.Load()->modify_index;
  REQUIRE(store.Commit(Rules(2, 5), index, Change("add")).ok());  // another writer wins
  std::vector<std::string> before = f.Blobs();

  Status lost = store.Commit(Rules(2, 6), index, Change("add"));
  CHECK(lost.code() == Code::kConflict);
  CHECK(f.Blobs() == before);
  CHECK(store.Load()->set == Rules(2, 5));
  CHECK(store.Commit(Rules(1, 1), 0, Change("seed")).code() == Code::kConflict);
}

TEST_CASE("history lists the versions newest first with who, what and how many rules") {
  Fixture f;
  RuleStore store = f.Store();
  f.CommitOnTop(store, Rules(1, 1), "seed");
  f.CommitOnTop(store, Rules(2, 2), "add");
  f.CommitOnTop(store, Rules(3, 1), "delete");
  Result<std::vector<HistoryEntry>> history = store.History(2);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 2);
  CHECK((*history)[0].version == 3);
  CHECK((*history)[0].action == "delete");
  CHECK((*history)[0].rule_count == 1);
  CHECK((*history)[0].at == f.clock.WallNow());
  CHECK((*history)[0].restorable);
  CHECK((*history)[1].version == 2);
  CHECK((*history)[1].who == "ops");
  CHECK(store.History(10)->size() == 3);
}

TEST_CASE("a version past the retention window is no longer loadable, a kept one is") {
  Fixture f;
  RuleStore store = f.Store(Tiny(/*history_keep=*/2));
  for (uint64_t v = 1; v <= 4; ++v) f.CommitOnTop(store, Rules(v, 4));
  CHECK(store.LoadVersion(1).value() == std::nullopt);
  CHECK(store.LoadVersion(2).value() == std::nullopt);
  CHECK(store.LoadVersion(3).value() == Rules(3, 4));
  CHECK(store.LoadVersion(99).value() == std::nullopt);
}

TEST_CASE("retention deletes old history and the blobs only old versions referenced") {
  Fixture f;
  RuleStore store = f.Store(Tiny(/*history_keep=*/2));
  // Orphans of crashed writers: one from long ago, one at a version that will still be kept.
  REQUIRE(f.client.Put(BlobChunkKey(kCluster, "1-dead", 0), "x").ok());
  REQUIRE(f.client.Put(BlobChunkKey(kCluster, "5-beef", 0), "x").ok());
  for (uint64_t v = 1; v <= 5; ++v) f.CommitOnTop(store, Rules(v, 4));

  CHECK(f.Keys(HistoryPrefix(kCluster)) ==
        std::vector<std::string>{HistoryKey(kCluster, 4), HistoryKey(kCluster, 5)});
  std::vector<std::string> blobs = f.Blobs();
  REQUIRE(blobs.size() == 3);  // versions 4 and 5, and the orphan at kept version 5
  for (const std::string& blob : blobs) {
    CAPTURE(blob);
    std::string id = blob.substr(BlobsPrefix(kCluster).size());
    CHECK(BlobIdVersion(id) >= 4u);
  }
  CHECK(store.Load()->set == Rules(5, 4));
  CHECK(store.LoadVersion(4).value() == Rules(4, 4));
}

TEST_CASE("small writes prune every kPruneEvery versions: history_keep kept, a few more at most") {
  Fixture f;
  RuleStoreOptions options;
  options.history_keep = 2;
  RuleStore store = f.Store(options);
  for (uint64_t v = 1; v < kPruneEvery; ++v) f.CommitOnTop(store, Rules(v, 2));
  CHECK(f.Keys(HistoryPrefix(kCluster)).size() == kPruneEvery - 1);  // no prune yet
  f.CommitOnTop(store, Rules(kPruneEvery, 2));
  CHECK(f.Keys(HistoryPrefix(kCluster)) ==
        std::vector<std::string>{HistoryKey(kCluster, kPruneEvery - 1),
                                 HistoryKey(kCluster, kPruneEvery)});
  CHECK(store.LoadVersion(kPruneEvery - 1).value() == Rules(kPruneEvery - 1, 2));
}

TEST_CASE("a corrupt or missing chunk makes the load fail as a protocol error naming it") {
  Fixture f;
  RuleStore store = f.Store(Tiny());
  f.CommitOnTop(store, Rules(1, 5));
  const std::string blob = f.Blobs().at(0);
  REQUIRE(f.client.Put(blob + "1", "garbage").ok());
  Result<StoredRules> corrupt = store.Load();
  REQUIRE_FALSE(corrupt.ok());
  CHECK(corrupt.status().code() == Code::kProtocol);
  CHECK(corrupt.status().message().find("chunks hold") != std::string::npos);

  REQUIRE(f.client.Delete(blob + "1").ok());
  Result<StoredRules> missing = store.Load();
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.status().code() == Code::kProtocol);
  CHECK(missing.status().message().find("chunk 1 of") != std::string::npos);
}

TEST_CASE("with Consul unreachable a commit is unavailable and changes nothing visible") {
  Fixture f;
  RuleStore store = f.Store(Tiny());
  f.CommitOnTop(store, Rules(1, 5));
  const uint64_t index = store.Load()->modify_index;
  f.consul.FailWhen([](const consul::HttpRequest& r) { return r.path.starts_with("/v1/txn"); });
  CHECK(store.Commit(Rules(2, 5), index, Change("add")).code() == Code::kUnavailable);
  f.consul.FailWhen({});
  CHECK(store.Load()->set == Rules(1, 5));
  CHECK(store.History(10)->size() == 1);

  f.consul.FailWhen([](const consul::HttpRequest&) { return true; });
  CHECK(store.Load().status().code() == Code::kUnavailable);
  CHECK(store.History(10).status().code() == Code::kUnavailable);
  CHECK(store.Commit(Rules(2, 5), index, Change("add")).code() == Code::kUnavailable);
}

}  // namespace
}  // namespace shardgate::controller
