// Password (SCRAM-SHA-256) sessions through the router: the authentication exchange passes the
// BackendKeyData tracker untouched, and the key recorded after it still routes Ctrl-C.
#include <doctest/doctest.h>

#include <filesystem>

#include "common/file.h"
#include "tests/harness/psql_client.h"
#include "tests/integration/router_fixture.h"

namespace shardgate::integration {
namespace {

constexpr const char* kUser = "sg_scram";
constexpr const char* kPassword = "router-test-secret";  // test-only role on a throwaway node

// Gives shard_1's primary a role that must log in with SCRAM-SHA-256: the role with a
// password (PostgreSQL 15 stores SCRAM verifiers by default) and a pg_hba.conf line for it
// ahead of the suite's trust lines, then a reload. Idempotent: the fleet is shared.
Status RequireScram(harness::PgNode& primary) {
  RETURN_IF_ERROR(primary.Query(
      std::string("do $$ begin if not exists (select from pg_roles where rolname = '") + kUser +
      "') then create role " + kUser + " login password '" + kPassword + "'; end if; end $$"));
  std::filesystem::path hba = primary.data_dir() / "pg_hba.conf";
  ASSIGN_OR_RETURN(std::string rules, ReadFile(hba));
  std::string line = std::string("host all ") + kUser + " 127.0.0.1/32 scram-sha-256\n";
  if (rules.find(line) != 0) {
    // Rewritten in place: owner and mode stay.
    RETURN_IF_ERROR(WriteFile(hba, line + rules));
  }
  return primary.WaitForValue("select pg_reload_conf() and exists (select from pg_hba_file_rules "
                              "where '" +
                                  std::string(kUser) +
                                  "' = any(user_name) and "
                                  "auth_method = 'scram-sha-256')",
                              "t", std::chrono::seconds(5));
}

Result<harness::CommandResult> ScramPsqlVia(int port, const std::string& password,
                                            const std::string& sql) {
  harness::PsqlArgs args;
  args.port = port;
  args.user = kUser;
  args.options = KeyOption(42);
  args.env = {{"PGPASSWORD", password}};  // libpq reads it from the environment, never argv
  args.sql = sql;
  return harness::Psql(args);
}

TEST_CASE("a SCRAM-authenticated session routes, and a wrong password gets PostgreSQL's error") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  Status scram = RequireScram(stack->Primary("shard_1"));
  REQUIRE_MESSAGE(scram.ok(), scram.ToString());

  auto wrong = ScramPsqlVia(stack->rw_port(), "not-the-password", "select 1");
  REQUIRE(wrong.ok());
  CHECK(wrong->exit_code != 0);  // proves the password is really checked (no trust fallback)
  CHECK_MESSAGE(wrong->err.find("password authentication failed for user \"sg_scram\"") !=
                    std::string::npos,
                wrong->err);

  auto right = ScramPsqlVia(stack->rw_port(), kPassword,
                            "select current_user || ' ' || current_setting('cluster_name')");
  REQUIRE(right.ok());
  CHECK_MESSAGE(right->exit_code == 0, right->err);
  CHECK(harness::FirstLine(right->out) == "sg_scram shard_1/n1");
}

TEST_CASE(
    "psql's Ctrl-C cancels pg_sleep(30) of a SCRAM-authenticated session through the router") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  Status scram = RequireScram(stack->Primary("shard_1"));
  REQUIRE_MESSAGE(scram.ok(), scram.ToString());
  auto cancelled = CancelSleepVia(*stack, stack->rw_port(), 42, "shard_1", kUser,
                                  {{"PGPASSWORD", kPassword}});
  CheckCancelledQuickly(cancelled);
}

}  // namespace
}  // namespace shardgate::integration
