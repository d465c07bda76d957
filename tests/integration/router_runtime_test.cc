// Run-time changes as clients see them: a map pushed through the runtime socket, a backend
// without servers, and query cancellation routed through the router.
#include <doctest/doctest.h>

#include <sstream>
#include <thread>

#include "haproxy/runtime_client.h"
#include "tests/harness/pgwire_client.h"
#include "tests/integration/router_fixture.h"

namespace shardgate::integration {
namespace {

using std::chrono::seconds;

constexpr const char* kClusterNameSql = "select current_setting('cluster_name')";

// Puts the base routing back (RestoreRouting) when the test leaves, also when a REQUIRE throws,
// so that one failing test does not leave the tests after it on a changed map or a server in
// maintenance.
class RestoreRoutingOnExit {
 public:
  explicit RestoreRoutingOnExit(harness::Stack& stack) : stack_(stack) {}
  ~RestoreRoutingOnExit() {
    Status restored = RestoreRouting(stack_);
    CHECK_MESSAGE(restored.ok(), "restoring the base routing: " << restored.ToString());
  }
  RestoreRoutingOnExit(const RestoreRoutingOnExit&) = delete;
  RestoreRoutingOnExit& operator=(const RestoreRoutingOnExit&) = delete;

 private:
  harness::Stack& stack_;
};

TEST_CASE(
    "a map pushed through the runtime socket reroutes new connections only, without a reload") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  pid_t pid = stack->haproxy()->pid();
  auto before = harness::StartSession("127.0.0.1", stack->rw_port(),
                                      harness::KeyedParams("postgres", "postgres", 42));
  REQUIRE_MESSAGE(before.ok(), before.status().ToString());
  REQUIRE(before->reply.ready);

  RestoreRoutingOnExit restore(*stack);
  haproxy::RuntimeClient client(stack->haproxy()->socket());
  auto version = client.PushRangeMap(stack->config_spec().ranges_map_path,
                                     {{0, 4999, "shard_2"}, {5000, 9999, "shard_1"}});
  REQUIRE_MESSAGE(version.ok(), version.status().ToString());

  CHECK(ClusterNameVia(stack->rw_port(), 42) == "shard_2/n1");
  CHECK(ClusterNameVia(stack->rw_port(), 7000) == "shard_1/n1");
  CHECK(stack->haproxy()->pid() == pid);
  auto old_session = harness::RunQuery(before->connection, kClusterNameSql, seconds(5));
  REQUIRE_MESSAGE(old_session.ok(), old_session.status().ToString());
  REQUIRE(old_session->rows.size() == 1);
  CHECK(old_session->rows[0][0] == "shard_1/n1");
}

TEST_CASE("a backend with no usable server answers 57P03") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  RestoreRoutingOnExit restore(*stack);
  auto reply = stack->haproxy()->Runtime("set server shard_1_rw/n1 state maint");
  REQUIRE(reply.ok());
  harness::ErrorFields error = StartupErrorVia(stack->rw_port(),
                                               harness::KeyedParams("postgres", "postgres", 42));
  CHECK_MESSAGE(error.sqlstate == "57P03", error.message);
  auto psql = PsqlVia(stack->rw_port(), KeyOption(42), kClusterNameSql);
  REQUIRE(psql.ok());
  CHECK(psql->err.find("FATAL") != std::string::npos);
  CHECK(ClusterNameVia(stack->rw_port(), 7000) == "shard_2/n1");
  // Putting the server back is part of the behaviour checked here: shard_1 answers again.
  REQUIRE(RestoreRouting(*stack).ok());
  CHECK(ClusterNameVia(stack->rw_port(), 42) == "shard_1/n1");
}

TEST_CASE("psql's Ctrl-C cancels pg_sleep(30) through the router within a second") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  auto cancelled = CancelSleepVia(*stack, stack->rw_port(), 42, "shard_1", "postgres");
  CheckCancelledQuickly(cancelled);
}

TEST_CASE("a CancelRequest with an unknown key is closed without effect") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  auto session = harness::StartSession("127.0.0.1", stack->rw_port(),
                                       harness::KeyedParams("postgres", "postgres", 42));
  REQUIRE(session.ok());
  REQUIRE(session->reply.ready);
  REQUIRE(session->connection.Send(harness::QueryMessage("select pg_sleep(1), 'done'")).ok());

  const harness::BackendKey real = session->reply.key;
  for (auto [pid, secret] : {std::pair{real.pid, real.secret + 1}, std::pair{123456789, 42}}) {
    auto cancel = harness::PgWireConnection::Connect("127.0.0.1", stack->rw_port(), seconds(2));
    REQUIRE(cancel.ok());
    REQUIRE(cancel->Send(harness::CancelRequest(pid, secret)).ok());
    auto answer = cancel->ReadUntilClosed(seconds(7));
    REQUIRE_MESSAGE(answer.ok(), answer.status().ToString());
    CHECK(answer->empty());
  }
  // The running query was not cancelled: it completes with its row.
  auto done = harness::ReadQueryReply(session->connection, seconds(5));
  REQUIRE_MESSAGE(done.ok(), done.status().ToString());
  CHECK_FALSE(done->error.has_value());
  REQUIRE(done->rows.size() == 1);
  CHECK(done->rows[0][1] == "done");
}

}  // namespace
}  // namespace shardgate::integration
