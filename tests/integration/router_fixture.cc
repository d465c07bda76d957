// The router suite's shared fleet and client helpers (see router_fixture.h).
#include "tests/integration/router_fixture.h"

#include <doctest/doctest.h>

#include <csignal>
#include <memory>
#include <sstream>
#include <thread>

#include "common/file.h"
#include "haproxy/runtime_client.h"
#include "tests/harness/psql_client.h"

namespace shardgate::integration {
namespace {

// Splits one CSV line (show stat has no quoted fields).
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  std::string field;
  while (std::getline(in, field, ',')) fields.push_back(field);
  return fields;
}

// A log's text, or why it could not be read (for messages and checks on psql's output).
std::string LogText(const std::filesystem::path& path) {
  Result<std::string> text = ReadFile(path);
  return text.ok() ? *text : text.status().ToString();
}

bool EndsWith(const std::string& text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::vector<model::Segment> BaseSegments() {
  return {{-1000, -1, "shard_2"}, {0, 4999, "shard_1"}, {5000, 9999, "shard_2"}};
}

harness::Stack* SharedStack(const harness::StackOptions& options, SharedStackSlot& slot) {
  if (!slot.stack && slot.failure.empty()) {
    auto started = harness::Stack::Start(options);
    if (started.ok()) {
      slot.stack = std::move(*started);
    } else {
      slot.failure = started.status().ToString();
    }
  }
  if (!slot.failure.empty()) FAIL_CHECK("the stack did not start: " << slot.failure);
  return slot.stack.get();
}

harness::Stack* RouterStack() {
  static SharedStackSlot slot;
  harness::StackOptions options;
  options.shards = {"shard_1", "shard_2"};
  options.replicas = 1;
  options.segments = BaseSegments();
  return SharedStack(options, slot);
}

Status RestoreRouting(harness::Stack& stack) {
  RETURN_IF_ERROR(stack.PushRangeMap(BaseSegments()));
  haproxy::RuntimeClient client(stack.haproxy()->socket());
  for (const auto& shard : stack.config_spec().shards) {
    for (const auto& server : shard.rw) {
      RETURN_IF_ERROR(client.SetServerState(shard.name + "_rw", server.name, "ready"));
    }
    for (const auto& server : shard.ro) {
      RETURN_IF_ERROR(client.SetServerState(shard.name + "_ro", server.name, "ready"));
    }
  }
  return Status::Ok();
}

std::string KeyOption(int64_t key) { return "-c shardgate.key=" + std::to_string(key); }

Result<harness::CommandResult> PsqlVia(int port, const std::string& options, const std::string& sql,
                                       const std::string& sslmode) {
  harness::PsqlArgs args;
  args.port = port;
  args.options = options;
  args.sql = sql;
  args.sslmode = sslmode;
  return harness::Psql(args);
}

Result<CancelOutcome> CancelSleepVia(harness::Stack& stack, int port, int64_t key,
                                     const std::string& shard, const std::string& user,
                                     const harness::EnvVars& env) {
  constexpr const char* kSleep = "select pg_sleep(30)";
  harness::ProcessOptions options;
  options.argv = {"psql", "-X", "-h", "127.0.0.1", "-p", std::to_string(port),
                  "-U",   user, "-d", "postgres",  "-c", kSleep};
  options.env = {{"PGOPTIONS", KeyOption(key)}, {"PGCONNECT_TIMEOUT", "5"}};
  options.env.insert(options.env.end(), env.begin(), env.end());
  options.log_path = stack.dir() / ("psql-cancel-" + user + ".log");
  ASSIGN_OR_RETURN(auto psql, harness::Process::Spawn(options));
  Status sleeping = stack.Primary(shard).WaitForValue(
      "select count(*) from pg_stat_activity where state = 'active' and query = '" +
          std::string(kSleep) + "'",
      "1", std::chrono::seconds(10));
  if (!sleeping.ok()) {
    return Unavailable("the sleep never ran on " + shard + ": " + LogText(options.log_path));
  }
  auto signalled = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(psql->Signal(SIGINT));
  ASSIGN_OR_RETURN(auto exit_code, psql->Wait(std::chrono::seconds(5)));
  CancelOutcome outcome;
  outcome.exit_code = exit_code;
  outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - signalled);
  outcome.output = LogText(options.log_path);
  return outcome;
}

void CheckCancelledQuickly(const Result<CancelOutcome>& cancelled) {
  REQUIRE_MESSAGE(cancelled.ok(), cancelled.status().ToString());
  CHECK(cancelled->exit_code != 0);
  CHECK(cancelled->elapsed < std::chrono::milliseconds(1000));  // the issue: "within a second"
  CHECK_MESSAGE(cancelled->output.find("canceling statement due to user request") !=
                    std::string::npos,
                cancelled->output);
}

std::string ClusterNameVia(int port, int64_t key, const std::string& sslmode) {
  auto result = PsqlVia(port, KeyOption(key), "select current_setting('cluster_name')", sslmode);
  if (!result.ok()) return result.status().ToString();
  if (result->exit_code != 0) return result->err;
  return harness::FirstLine(result->out);
}

harness::ErrorFields StartupErrorVia(int port, const harness::StartupParams& params) {
  auto session = harness::StartSession("127.0.0.1", port, params);
  if (!session.ok()) return {"", "", "transport: " + session.status().ToString(), "", ""};
  if (session->reply.error) return *session->reply.error;
  return {"", "", session->reply.ready ? "ready" : "closed without an error", "", ""};
}

Result<uint64_t> ShardBackendSessions(harness::HaproxyProcess& haproxy) {
  ASSIGN_OR_RETURN(auto reply, haproxy.Runtime("show stat"));
  std::stringstream lines(reply);
  std::string line;
  std::getline(lines, line);
  std::vector<std::string> header = SplitCsv(line.substr(line.find_first_not_of("# ")));
  size_t stot = 0;
  while (stot < header.size() && header[stot] != "stot") ++stot;
  if (stot == header.size()) return ProtocolError("show stat has no stot column: " + line);
  uint64_t total = 0;
  while (std::getline(lines, line)) {
    std::vector<std::string> fields = SplitCsv(line);
    if (fields.size() <= stot || fields[1] != "BACKEND") continue;
    if (EndsWith(fields[0], "_rw") || EndsWith(fields[0], "_ro"))
      total += std::stoull(fields[stot]);
  }
  return total;
}

std::string WaitForLogLine(harness::HaproxyProcess& haproxy,
                           const std::vector<std::string>& needles,
                           std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    std::stringstream log(haproxy.LogText());
    std::string line;
    while (std::getline(log, line)) {
      bool all = true;
      for (const auto& needle : needles) all = all && line.find(needle) != std::string::npos;
      if (all) return line;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (std::chrono::steady_clock::now() < deadline);
  return "";
}

}  // namespace shardgate::integration
