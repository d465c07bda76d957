// Unit tests for KvStore: index rules, CAS, locks, tombstones.
#include "dev/consul/kv_store.h"

#include <doctest/doctest.h>

namespace shardgate::consul::dev {
namespace {

const SteadyTime kNow{};

TEST_CASE("an identical write does not move the ModifyIndex") {
  KvStore kv;
  CHECK(kv.Set("a", "v", 0, 5).changed);
  KvWrite again = kv.Set("a", "v", 0, 6);
  CHECK(again.ok);
  CHECK_FALSE(again.changed);
  CHECK(kv.Get("a")->modify_index == 5);
}

TEST_CASE("cas 0 creates only and cas N needs the current ModifyIndex") {
  KvStore kv;
  CHECK(kv.Cas("k", "1", 0, 0, 3).ok);
  CHECK_FALSE(kv.Cas("k", "2", 0, 0, 4).ok);
  CHECK_FALSE(kv.Cas("k", "2", 0, 99, 4).ok);
  CHECK(kv.Cas("k", "2", 0, 3, 4).ok);
  CHECK(kv.Get("k")->create_index == 3);
  CHECK(kv.Get("k")->modify_index == 4);
  CHECK_FALSE(kv.Cas("missing", "x", 0, 7, 5).ok);
}

TEST_CASE("acquire counts LockIndex once per holder and release overwrites the value") {
  KvStore kv;
  CHECK(kv.Lock("l", "a", 0, "s1", 2).ok);
  CHECK(kv.Lock("l", "b", 0, "s1", 3).ok);
  CHECK(kv.Get("l")->lock_index == 1);
  CHECK_FALSE(kv.Lock("l", "c", 0, "s2", 4).ok);
  CHECK_FALSE(kv.Unlock("l", "", 0, "s2", 4).ok);
  CHECK(kv.Unlock("l", "", 0, "s1", 4).ok);
  CHECK(kv.Get("l")->session.empty());
  CHECK(kv.Get("l")->value.empty());
  CHECK(kv.Lock("l", "d", 0, "s2", 5).ok);
  CHECK(kv.Get("l")->lock_index == 2);
}

TEST_CASE("a plain set on a locked key keeps the holder") {
  KvStore kv;
  REQUIRE(kv.Lock("l", "a", 0, "s1", 2).ok);
  CHECK(kv.Set("l", "b", 0, 3).ok);
  CHECK(kv.Get("l")->session == "s1");
}

TEST_CASE("a missing key reports the table index and a prefix keeps its tombstones") {
  KvStore kv;
  REQUIRE(kv.Set("p/a", "1", 0, 2).changed);
  REQUIRE(kv.Set("p/b", "1", 0, 3).changed);
  REQUIRE(kv.Set("q", "1", 0, 4).changed);
  CHECK(kv.KeyIndex("nope") == 4);
  CHECK(kv.Delete("p/b", 5, kNow).changed);
  CHECK(kv.PrefixIndex("p/") == 5);
  CHECK(kv.PrefixIndex("") == 5);
  kv.ReapTombstones(kNow + std::chrono::seconds(1));
  CHECK(kv.PrefixIndex("p/") == 2);
  CHECK(kv.PrefixIndex("zzz/") == 5);
}

TEST_CASE("delete-cas on a missing key is true and cas 0 never deletes") {
  KvStore kv;
  CHECK(kv.DeleteCas("nope", 3, 2, kNow).ok);
  REQUIRE(kv.Set("k", "v", 0, 2).changed);
  CHECK_FALSE(kv.DeleteCas("k", 0, 3, kNow).ok);
  CHECK(kv.DeleteCas("k", 2, 3, kNow).ok);
  CHECK(kv.Get("k") == nullptr);
}

TEST_CASE("invalidating a release session clears holders, bumps the index and starts lock-delay") {
  KvStore kv;
  REQUIRE(kv.Lock("l", "a", 0, "s1", 2).ok);
  CHECK(kv.InvalidateSession("s1", false, std::chrono::seconds(15), 3, kNow));
  CHECK(kv.Get("l")->session.empty());
  CHECK(kv.Get("l")->modify_index == 3);
  CHECK(kv.Get("l")->value == "a");
  CHECK(kv.InLockDelay("l", kNow + std::chrono::seconds(14)));
  CHECK_FALSE(kv.InLockDelay("l", kNow + std::chrono::seconds(15)));
}

TEST_CASE("invalidating a delete session removes the held keys") {
  KvStore kv;
  REQUIRE(kv.Lock("l", "a", 0, "s1", 2).ok);
  CHECK(kv.InvalidateSession("s1", true, std::chrono::seconds(0), 3, kNow));
  CHECK(kv.Get("l") == nullptr);
  CHECK_FALSE(kv.InLockDelay("l", kNow));
}

}  // namespace
}  // namespace shardgate::consul::dev
