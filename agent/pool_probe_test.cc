// PgBouncer SHOW POOLS reduction.
#include "agent/pool_probe.h"

#include <doctest/doctest.h>

namespace shardgate::agent {
namespace {

QueryResult Pools() {
  QueryResult r;
  r.columns = {"database", "user",    "cl_active",  "cl_waiting", "sv_active",
               "sv_idle",  "maxwait", "maxwait_us", "pool_mode"};
  auto row = [](const char* db, const char* waiting, const char* s, const char* us) {
    return std::vector<std::optional<std::string>>{db,  "app", "3", waiting,      "2",
                                                   "0", s,     us,  "transaction"};
  };
  r.rows = {row("orders", "4", "1", "250000"), row("orders", "2", "0", "900000"),
            row("other", "50", "9", "0"), row("pgbouncer", "7", "8", "0")};
  return r;
}

TEST_CASE("SHOW POOLS sums waiting clients and keeps the longest wait of one database") {
  auto s = PoolSampleFromShowPools(Pools(), "orders");
  REQUIRE(s.ok());
  CHECK(s->cl_waiting == 6);
  CHECK(s->maxwait == Millis(1250));
}

TEST_CASE("SHOW POOLS without a database filter covers every pool but the admin console") {
  auto s = PoolSampleFromShowPools(Pools(), "");
  REQUIRE(s.ok());
  CHECK(s->cl_waiting == 56);
  CHECK(s->maxwait == Millis(9000));
}

TEST_CASE("SHOW POOLS from an old PgBouncer without maxwait_us still parses") {
  QueryResult r = Pools();
  r.columns[7] = "other_column";
  auto s = PoolSampleFromShowPools(r, "orders");
  REQUIRE(s.ok());
  CHECK(s->maxwait == Millis(1000));
}

TEST_CASE("SHOW POOLS without cl_waiting or with a garbage count is refused naming the column") {
  QueryResult r = Pools();
  r.columns[3] = "renamed";
  CHECK(PoolSampleFromShowPools(r, "").status().message() == "SHOW POOLS: missing cl_waiting");
  QueryResult g = Pools();
  g.rows[0][3] = "lots";
  CHECK(PoolSampleFromShowPools(g, "").status().message() ==
        "SHOW POOLS: cl_waiting is not a count: lots");
}

}  // namespace
}  // namespace shardgate::agent
