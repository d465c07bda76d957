// The router suite's shared fleet (2 shards, primary + streaming replica each, HAProxy with the
// router) and the small client helpers its tests use.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "model/range.h"
#include "tests/harness/pgwire_client.h"
#include "tests/harness/process.h"
#include "tests/harness/stack.h"

namespace shardgate::integration {

// -1000..-1 -> shard_2, 0..4999 -> shard_1, 5000..9999 -> shard_2; 10000 and up is unmapped.
std::vector<model::Segment> BaseSegments();

// A stack started on first use and kept for the rest of the test binary (in `slot`); nullptr,
// after failing the check with the reason, when it could not start (and on every later call).
struct SharedStackSlot {
  std::unique_ptr<harness::Stack> stack;
  std::string failure;
};
harness::Stack* SharedStack(const harness::StackOptions& options, SharedStackSlot& slot);

// The fleet, started on first use and shared by every test of the binary (starting four
// PostgreSQL nodes once keeps the suite within its time budget). Returns nullptr, after
// reporting why, when it could not start. Tests that change routing call RestoreRouting().
harness::Stack* RouterStack();

// Pushes BaseSegments() and sets every server of every shard backend to ready.
Status RestoreRouting(harness::Stack& stack);

// psql -c `sql` through the router with PGOPTIONS = `options` (e.g. KeyOption(42)).
Result<harness::CommandResult> PsqlVia(int port, const std::string& options, const std::string& sql,
                                       const std::string& sslmode = "");
std::string KeyOption(int64_t key);

// "select current_setting('cluster_name')" through the router as psql sees it, e.g.
// "shard_1/n1"; the psql stderr on failure.
std::string ClusterNameVia(int port, int64_t key, const std::string& sslmode = "");

// The pgwire client's view of a startup through the router: the ErrorResponse fields, or an
// empty sqlstate with a message saying what happened instead (ready / closed / transport error).
harness::ErrorFields StartupErrorVia(int port, const harness::StartupParams& params);

// Sum of `stot` (sessions ever) over the BACKEND rows of every <shard>_rw/_ro backend in
// `show stat`: what actually reached a PostgreSQL backend through HAProxy.
Result<uint64_t> ShardBackendSessions(harness::HaproxyProcess& haproxy);

// What psql did when Ctrl-C (SIGINT) reached it during `select pg_sleep(30)` through the router.
struct CancelOutcome {
  int exit_code = 0;
  std::chrono::milliseconds elapsed{0};  // from the signal to psql's exit
  std::string output;                    // psql's stdout + stderr
};

// Runs psql as `user` through `port` with PGOPTIONS = KeyOption(key) plus `env` (e.g.
// PGPASSWORD), waits until `shard`'s primary runs the sleep, sends SIGINT as Ctrl-C does and
// waits for psql to exit.
Result<CancelOutcome> CancelSleepVia(harness::Stack& stack, int port, int64_t key,
                                     const std::string& shard, const std::string& user,
                                     const harness::EnvVars& env = {});

// Checks (doctest) that psql was cancelled within a second of the signal with PostgreSQL's
// "canceling statement due to user request".
void CheckCancelledQuickly(const Result<CancelOutcome>& cancelled);

// Polls HAProxy's captured log until a line contains every needle, or `timeout` passes; returns
// the line or an empty string.
std::string WaitForLogLine(harness::HaproxyProcess& haproxy,
                           const std::vector<std::string>& needles,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace shardgate::integration
