// PgProbe: runs the probe statement and interprets its single row.
#include "agent/pg_probe.h"

#include "agent/probe_row.h"

namespace shardgate::agent {

Result<ProbeSample> PgProbe::Probe(SteadyTime deadline) {
  ASSIGN_OR_RETURN(auto result, session_.Query(kProbeSql, deadline));
  if (result.rows.size() != 1) {
    return ProtocolError("probe returned " + std::to_string(result.rows.size()) + " rows, want 1");
  }
  return SampleFromRow(result.rows[0]);
}

}  // namespace shardgate::agent
