// PqSession: one persistent libpq connection driven by poll(2), every wait bounded by a deadline.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

struct pg_conn;

namespace shardgate::agent {

// A query's rows as text; NULL is nullopt.
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

// Keeps one connection open between queries and re-opens it after any failure. A missed
// deadline closes the connection (its state is unknown), so a frozen server costs one deadline
// per query and never blocks the caller longer.
// The password comes from libpq itself (PGPASSWORD / PGPASSFILE / ~/.pgpass), never from argv.
// Host names are resolved synchronously by libpq: configure an IP address so the deadline also
// bounds name resolution.
// Thread-safety: one caller at a time.
class PqSession {
 public:
  // `conninfo`: a libpq connection string or URI. `connect_timeout` bounds a (re)connect
  // inside the caller's deadline. `clock` must outlive the session.
  PqSession(const Clock& clock, std::string conninfo, Millis connect_timeout);
  ~PqSession();
  PqSession(const PqSession&) = delete;
  PqSession& operator=(const PqSession&) = delete;

  // Runs `sql` (simple query protocol, so PgBouncer's admin console accepts it) and returns the
  // last result set. Errors: kUnavailable (cannot connect, connection lost, SQL error),
  // kTimeout (deadline passed).
  Result<QueryResult> Query(const char* sql, SteadyTime deadline);

 private:
  Status Connect(SteadyTime deadline);
  Result<QueryResult> RunQuery(const char* sql, SteadyTime deadline);
  Status Send(const char* sql, SteadyTime deadline);
  // Waits until the socket is readable (or writable); kTimeout at the deadline.
  Status WaitSocket(bool for_write, SteadyTime deadline, const char* what);
  Status Fail(Status status);
  void Close();

  const Clock& clock_;
  std::string conninfo_;
  Millis connect_timeout_;
  pg_conn* conn_ = nullptr;
};

}  // namespace shardgate::agent
