// PgBouncer SHOW POOLS parsing and polling.
#include "agent/pool_probe.h"

#include <algorithm>
#include <charconv>

namespace shardgate::agent {
namespace {

int ColumnIndex(const QueryResult& result, std::string_view name) {
  for (size_t i = 0; i < result.columns.size(); ++i) {
    if (result.columns[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Result<int64_t> Cell(const std::vector<std::optional<std::string>>& row, int index,
                     std::string_view name) {
  if (index < 0 || static_cast<size_t>(index) >= row.size() || !row[index]) {
    return ProtocolError("SHOW POOLS: missing " + std::string(name));
  }
  const std::string& s = *row[index];
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) {
    return ProtocolError("SHOW POOLS: " + std::string(name) + " is not a count: " + s);
  }
  return v;
}

}  // namespace

Result<PoolSample> PoolSampleFromShowPools(const QueryResult& result, const std::string& database) {
  int db = ColumnIndex(result, "database");
  int waiting = ColumnIndex(result, "cl_waiting");
  int maxwait = ColumnIndex(result, "maxwait");
  int maxwait_us = ColumnIndex(result, "maxwait_us");  // PgBouncer >= 1.8
  if (db < 0) return ProtocolError("SHOW POOLS: missing database");
  if (waiting < 0) return ProtocolError("SHOW POOLS: missing cl_waiting");
  if (maxwait < 0) return ProtocolError("SHOW POOLS: missing maxwait");
  PoolSample sample;
  for (const auto& row : result.rows) {
    if (static_cast<size_t>(db) >= row.size() || !row[db]) continue;
    if (*row[db] == "pgbouncer") continue;  // the admin console itself
    if (!database.empty() && *row[db] != database) continue;
    ASSIGN_OR_RETURN(int64_t w, Cell(row, waiting, "cl_waiting"));
    ASSIGN_OR_RETURN(int64_t s, Cell(row, maxwait, "maxwait"));
    int64_t us = 0;
    if (maxwait_us >= 0) {
      ASSIGN_OR_RETURN(us, Cell(row, maxwait_us, "maxwait_us"));
    }
    sample.cl_waiting += w;
    Millis wait = std::chrono::duration_cast<Millis>(std::chrono::seconds(s) +
                                                     std::chrono::microseconds(us));
    sample.maxwait = std::max(sample.maxwait, wait);
  }
  return sample;
}

Result<PoolSample> PoolProbe::Probe(SteadyTime deadline) {
  ASSIGN_OR_RETURN(auto result, session_.Query("SHOW POOLS", deadline));
  return PoolSampleFromShowPools(result, database_);
}

}  // namespace shardgate::agent
