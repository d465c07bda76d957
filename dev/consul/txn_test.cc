// Unit tests for KV transactions: verbs, shared index, every failure reported.
#include "dev/consul/txn.h"

#include <doctest/doctest.h>

namespace shardgate::consul::dev {
namespace {

bool NoSessions(const std::string&) { return false; }

TEST_CASE("a write txn gives every written key the same index") {
  KvStore kv;
  TxnOutcome out = ApplyTxn(kv, {{"set", "a", "1"}, {"set", "b", "2"}}, NoSessions, 7, {});
  REQUIRE(out.ok);
  CHECK(out.changed);
  CHECK(kv.Get("a")->modify_index == 7);
  CHECK(kv.Get("b")->modify_index == 7);
  CHECK_FALSE(out.results[0].with_value);
}

TEST_CASE("every failing op is reported with Consul's text") {
  KvStore kv;
  REQUIRE(kv.Set("a", "1", 0, 3).changed);
  TxnOp check{"check-index", "a"};
  check.index = 2;
  TxnOutcome out = ApplyTxn(kv, {check, {"get", "missing"}, {"bogus", "x"}}, NoSessions, 4, {});
  REQUIRE_FALSE(out.ok);
  REQUIRE(out.errors.size() == 3);
  CHECK(out.errors[0].what == "failed index check for key \"a\", current modify index 3 != 2");
  CHECK(out.errors[1].what == "key \"missing\" doesn't exist");
  CHECK(out.errors[2].op_index == 2);
  CHECK(out.errors[2].what == "unknown KV verb \"bogus\"");
  CHECK(out.results.empty());
}

TEST_CASE("lock needs a session that exists") {
  KvStore kv;
  TxnOp lock{"lock", "k", "v"};
  CHECK(ApplyTxn(kv, {lock}, NoSessions, 2, {}).errors[0].what == "missing session");
  lock.session = std::string("s");  // not = "s": GCC 12's false -Wrestrict on short literals
  CHECK(ApplyTxn(kv, {lock}, NoSessions, 2, {}).errors[0].what == "invalid session \"s\"");
}

TEST_CASE("get returns the value, get-tree every child, check-not-exists no entry") {
  KvStore kv;
  REQUIRE(kv.Set("p/a", "1", 0, 2).changed);
  REQUIRE(kv.Set("p/b", "2", 0, 3).changed);
  TxnOutcome out = ApplyTxn(kv, {{"get", "p/a"}, {"get-tree", "p/"}, {"check-not-exists", "q"}},
                            NoSessions, 4, {});
  REQUIRE(out.ok);
  CHECK_FALSE(out.changed);
  REQUIRE(out.results.size() == 3);
  CHECK(out.results[0].with_value);
  CHECK(out.results[2].entry.key == "p/b");
  CHECK(IsReadOnlyTxn({{"get", "p/a"}, {"check-index", "x"}}));
  CHECK_FALSE(IsReadOnlyTxn({{"get", "p/a"}, {"delete", "x"}}));
}

}  // namespace
}  // namespace shardgate::consul::dev
