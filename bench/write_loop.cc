// libpq writes through a port, one new connection per attempt.
#include "bench/write_loop.h"

#include "agent/pq_session.h"
#include "common/clock.h"

namespace shardgate::bench {
namespace {

constexpr const char* kWriteSql =
    "create table if not exists failover_bench_writes ("
    "id bigserial primary key, at timestamptz not null default now());"
    "insert into failover_bench_writes default values returning current_setting('cluster_name')";

// Quotes a libpq connection-string value.
std::string ConnValue(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

std::string BenchConninfo(int port, const std::string& pg_options,
                          const std::string& application_name) {
  // client_min_messages: `create table if not exists` notices would flood stderr.
  return "host=127.0.0.1 port=" + std::to_string(port) +
         " user=postgres dbname=postgres sslmode=disable application_name=" +
         ConnValue(application_name) +
         " options=" + ConnValue("-c client_min_messages=warning " + pg_options);
}

WriteOnce MakePgWriter(int port, const std::string& pg_options,
                       std::chrono::milliseconds attempt_timeout) {
  std::string conninfo = BenchConninfo(port, pg_options, "failover-bench");
  return [conninfo, attempt_timeout]() -> Result<std::string> {
    SystemClock clock;
    agent::PqSession session(clock, conninfo, attempt_timeout);
    ASSIGN_OR_RETURN(agent::QueryResult r, session.Query(kWriteSql, clock.Now() + attempt_timeout));
    if (r.rows.size() != 1 || r.rows[0].empty() || !r.rows[0][0].has_value()) {
      return ProtocolError("the insert returned no row");
    }
    return *r.rows[0][0];
  };
}

}  // namespace shardgate::bench
