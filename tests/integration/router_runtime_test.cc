// Run-time changes as clients see them: a map pushed through the runtime socket, a backend
// without servers, and query cancellation routed through the router.
#include <doctest/doctest.h>

#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "haproxy/runtime_client.h"
#include "tests/harness/pgwire_client.h"
#include "tests/integration/router_fixture.h"

namespace shardgate::integration {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kClusterNameSql = "select current_setting('cluster_name')";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Polls the shard's primary until a backend runs `select pg_sleep(30)`.
bool WaitForSleepingQuery(harness::PgNode& node, milliseconds timeout) {
  return node
      .WaitForValue("select count(*) from pg_stat_activity where state = 'active' and "
                    "query = 'select pg_sleep(30)'",
                    "1", timeout)
      .ok();
}

TEST_CASE("a map pushed through the runtime socket reroutes new connections only, without a reload") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  pid_t pid = stack->haproxy()->pid();
  auto before = harness::StartSession("127.0.0.1", stack->rw_port(),
                                      harness::KeyedParams("postgres", "postgres", 42));
  REQUIRE_MESSAGE(before.ok(), before.status().ToString());
  REQUIRE(before->reply.ready);

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
  REQUIRE(RestoreRouting(*stack).ok());
}

TEST_CASE("a backend with no usable server answers 57P03") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  auto reply = stack->haproxy()->Runtime("set server shard_1_rw/n1 state maint");
  REQUIRE(reply.ok());
  harness::ErrorFields error =
      StartupErrorVia(stack->rw_port(), harness::KeyedParams("postgres", "postgres", 42));
  CHECK_MESSAGE(error.sqlstate == "57P03", error.message);
  auto psql = PsqlVia(stack->rw_port(), KeyOption(42), kClusterNameSql);
  REQUIRE(psql.ok());
  CHECK(psql->err.find("FATAL") != std::string::npos);
  CHECK(ClusterNameVia(stack->rw_port(), 7000) == "shard_2/n1");
  REQUIRE(RestoreRouting(*stack).ok());
  CHECK(ClusterNameVia(stack->rw_port(), 42) == "shard_1/n1");
}

TEST_CASE("psql's Ctrl-C cancels pg_sleep(30) through the router within a second") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  harness::ProcessOptions options;
  options.argv = {"psql", "-X", "-h", "127.0.0.1", "-p", std::to_string(stack->rw_port()),
                  "-U", "postgres", "-d", "postgres", "-c", "select pg_sleep(30)"};
  options.env = {{"PGOPTIONS", KeyOption(42)}, {"PGCONNECT_TIMEOUT", "5"}};
  options.log_path = stack->dir() / "psql-cancel.log";
  auto psql = harness::Process::Spawn(options);
  REQUIRE(psql.ok());
  REQUIRE(WaitForSleepingQuery(stack->Primary("shard_1"), seconds(10)));

  auto signalled = SteadyClock::now();
  REQUIRE((*psql)->Signal(SIGINT).ok());
  auto exit_code = (*psql)->Wait(seconds(5));
  auto elapsed = SteadyClock::now() - signalled;
  REQUIRE(exit_code.ok());
  CHECK(*exit_code != 0);
  CHECK(elapsed < milliseconds(1500));
  std::string output = ReadFile(options.log_path);
  CHECK_MESSAGE(output.find("canceling statement due to user request") != std::string::npos, output);
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
