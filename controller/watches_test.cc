// Tests for the rules watch's query: inline heads pass through, manifest heads are resolved
// through their chunks, and Consul failing mid-resolve fails the query so it is retried.
#include "controller/watches.h"

#include <doctest/doctest.h>

#include "controller/kv_layout.h"
#include "controller/rule_store.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/in_process_consul.h"

namespace shardgate::controller {
namespace {

RuleSet Rules(uint64_t version, size_t count) {
  RuleSet set;
  set.version = version;
  for (size_t i = 0; i < count; ++i) {
    set.rules.push_back({set.next_id++, int64_t(i), int64_t(i), "shard_1", WallTime{}});
  }
  return set;
}

struct Fixture {
  testing::InProcessConsul consul;
  consul::Client client{consul, consul::ClientConfig{}};
  testing::FakeClock clock;
  // Chunked from a few rules on.
  RuleStore store{client, clock, "orders", RuleStoreOptions{300, 100, 100}};
  consul::Watcher<RulesHead>::Fetch query = RulesHeadQuery(client, "orders");

  Result<consul::Queried<RulesHead>> Read() { return query(consul::QueryOptions{}); }
};

TEST_CASE("no head key reads as no entry") {
  Fixture f;
  Result<consul::Queried<RulesHead>> read = f.Read();
  REQUIRE(read.ok());
  CHECK_FALSE(read->value.entry.has_value());
}

TEST_CASE("an inline head is passed on as it is, for DeliverRules to decode") {
  Fixture f;
  REQUIRE(f.store.Commit(Rules(1, 1), 0, HistoryEntry{}).ok());
  Result<consul::Queried<RulesHead>> read = f.Read();
  REQUIRE(read.ok());
  REQUIRE(read->value.entry.has_value());
  CHECK(read->value.resolved == nullptr);
  CHECK(DecodeRuleSet(read->value.entry->value).value() == Rules(1, 1));
}

TEST_CASE("a manifest head is resolved into the rules its chunks hold") {
  Fixture f;
  REQUIRE(f.store.Commit(Rules(1, 8), 0, HistoryEntry{}).ok());
  Result<consul::Queried<RulesHead>> read = f.Read();
  REQUIRE(read.ok());
  REQUIRE(read->value.resolved != nullptr);
  CHECK(read->value.resolved->value() == Rules(1, 8));
}

TEST_CASE("a manifest head with a corrupt chunk is delivered with the reason, not retried") {
  Fixture f;
  REQUIRE(f.store.Commit(Rules(1, 8), 0, HistoryEntry{}).ok());
  std::string blob = f.client.Keys(BlobsPrefix("orders"), "/").value().at(0);
  REQUIRE(f.client.Put(blob + "0", "garbage").ok());
  Result<consul::Queried<RulesHead>> read = f.Read();
  REQUIRE(read.ok());
  REQUIRE(read->value.resolved != nullptr);
  CHECK(read->value.resolved->status().code() == Code::kProtocol);
}

TEST_CASE("Consul failing while the chunks are fetched fails the query so the watch retries") {
  Fixture f;
  REQUIRE(f.store.Commit(Rules(1, 8), 0, HistoryEntry{}).ok());
  f.consul.FailWhen(
      [](const consul::HttpRequest& r) { return r.path.find("/blobs/") != std::string::npos; });
  CHECK(f.Read().status().code() == Code::kUnavailable);
  f.consul.FailWhen({});
  Result<consul::Queried<RulesHead>> read = f.Read();
  REQUIRE(read.ok());
  CHECK(read->value.resolved->value() == Rules(1, 8));
}

}  // namespace
}  // namespace shardgate::controller
