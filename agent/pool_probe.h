// PgBouncer pool queue: SHOW POOLS on the admin console, reduced to one PoolSample.
#pragma once

#include <string>

#include "agent/pq_session.h"
#include "common/clock.h"
#include "common/status.h"

namespace shardgate::agent {

// Clients queued for a server connection, summed over the pools of one database (all pools
// when the database filter is empty), and the oldest wait among them.
struct PoolSample {
  int64_t cl_waiting = 0;
  Millis maxwait{0};
};

// Reduces a SHOW POOLS result. Columns are found by name (their order and set vary across
// PgBouncer versions); maxwait is whole seconds plus maxwait_us when present. The admin
// console's own "pgbouncer" pseudo-database is skipped. Errors: kProtocol naming the missing or
// unparsable column.
Result<PoolSample> PoolSampleFromShowPools(const QueryResult& result, const std::string& database);

// A second, optional source next to NodeProbe: polls PgBouncer's admin console.
// Thread-safety: one caller at a time.
class PoolProbe {
 public:
  // `admin_conninfo` points at PgBouncer's admin database (dbname=pgbouncer).
  PoolProbe(const Clock& clock, std::string admin_conninfo, std::string database,
            Millis connect_timeout)
      : session_(clock, std::move(admin_conninfo), connect_timeout),
        database_(std::move(database)) {}

  Result<PoolSample> Probe(SteadyTime deadline);

 private:
  PqSession session_;
  std::string database_;
};

}  // namespace shardgate::agent
