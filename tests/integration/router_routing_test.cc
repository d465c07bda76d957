// The router as clients see it: keys reach the right shard and node, through real psql and a
// raw wire client, and startups without a usable key get a PostgreSQL error naming the fix.
#include <doctest/doctest.h>

#include "tests/harness/pgwire_client.h"
#include "tests/integration/router_fixture.h"

namespace shardgate::integration {
namespace {

constexpr const char* kClusterNameSql = "select current_setting('cluster_name')";

TEST_CASE("key 42 reaches shard_1's primary on the rw port and its replica on the ro port") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  CHECK(ClusterNameVia(stack->rw_port(), 42) == "shard_1/n1");
  CHECK(ClusterNameVia(stack->ro_port(), 42) == "shard_1/n2");
}

TEST_CASE("key 7000 reaches shard_2's primary on the rw port and its replica on the ro port") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  CHECK(ClusterNameVia(stack->rw_port(), 7000) == "shard_2/n1");
  CHECK(ClusterNameVia(stack->ro_port(), 7000) == "shard_2/n2");
}

TEST_CASE("a negative key routes per the map") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  CHECK(ClusterNameVia(stack->rw_port(), -5) == "shard_2/n1");
  CHECK(ClusterNameVia(stack->rw_port(), 0) == "shard_1/n1");
}

TEST_CASE("sslmode prefer and disable both route, and sslmode require fails on the client") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  CHECK(ClusterNameVia(stack->rw_port(), 42, "prefer") == "shard_1/n1");
  CHECK(ClusterNameVia(stack->rw_port(), 42, "disable") == "shard_1/n1");
  auto required = PsqlVia(stack->rw_port(), KeyOption(42), kClusterNameSql, "require");
  REQUIRE(required.ok());
  CHECK(required->exit_code != 0);
  CHECK(required->err.find("server does not support SSL") != std::string::npos);
}

TEST_CASE("a startup sent one byte at a time still routes and the query answers") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  harness::SessionOptions options;
  options.ssl_request_first = true;
  options.plan = {1, std::chrono::milliseconds(2)};
  auto reply = harness::ConnectAndQuery("127.0.0.1", stack->rw_port(),
                                        harness::KeyedParams("postgres", "postgres", 42),
                                        kClusterNameSql, options);
  REQUIRE_MESSAGE(reply.ok(), reply.status().ToString());
  REQUIRE_FALSE(reply->error.has_value());
  REQUIRE(reply->rows.size() == 1);
  CHECK(reply->rows[0][0] == "shard_1/n1");
}

TEST_CASE("a startup without a key gets 08004 and psql shows how to pass one") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  harness::ErrorFields error = StartupErrorVia(stack->rw_port(),
                                               {{"user", "postgres"}, {"database", "postgres"}});
  CHECK(error.sqlstate == "08004");
  auto psql = PsqlVia(stack->rw_port(), "", kClusterNameSql);
  REQUIRE(psql.ok());
  CHECK(psql->exit_code != 0);
  CHECK(psql->err.find("FATAL") != std::string::npos);
  CHECK_MESSAGE(psql->err.find("shardgate.key") != std::string::npos, psql->err);
}

TEST_CASE("an unmapped key gets 08004 naming the key") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  harness::ErrorFields error = StartupErrorVia(stack->rw_port(),
                                               harness::KeyedParams("postgres", "postgres", 20000));
  CHECK(error.sqlstate == "08004");
  CHECK_MESSAGE(error.message.find("20000") != std::string::npos, error.message);
  auto psql = PsqlVia(stack->rw_port(), KeyOption(20000), kClusterNameSql);
  REQUIRE(psql.ok());
  CHECK(psql->err.find("FATAL") != std::string::npos);
  CHECK(psql->err.find("20000") != std::string::npos);
}

TEST_CASE("a key that is not a 64-bit integer gets 08004") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  for (std::string key : {"abc", "99999999999999999999"}) {
    CAPTURE(key);
    harness::ErrorFields error = StartupErrorVia(
        stack->rw_port(), {{"user", "postgres"}, {"options", "-c shardgate.key=" + key}});
    CHECK(error.sqlstate == "08004");
  }
}

TEST_CASE("the HAProxy log line of a connection carries key, shard, role and error") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  CHECK(ClusterNameVia(stack->ro_port(), 4321) == "shard_1/n2");
  std::string routed = WaitForLogLine(*stack->haproxy(), {"key=4321", "shard=shard_1", "role=ro"});
  CHECK_MESSAGE(!routed.empty(), stack->haproxy()->LogText());
  (void)StartupErrorVia(stack->rw_port(), harness::KeyedParams("postgres", "postgres", 123456));
  std::string refused = WaitForLogLine(*stack->haproxy(),
                                       {"key=123456", "role=rw", "err=no_shard"});
  CHECK_MESSAGE(!refused.empty(), stack->haproxy()->LogText());
}

}  // namespace
}  // namespace shardgate::integration
