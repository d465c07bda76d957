// NodeProbe: the seam through which the agent observes its PostgreSQL node (one sample per call).
#pragma once

#include <cstdint>

#include "common/clock.h"
#include "common/status.h"
#include "model/node_status.h"

namespace shardgate::agent {

using model::Role;
using model::RoleName;

// What one probe saw. Lag fields are already interpreted (see SampleFromRow): a primary always
// has zero lag, a replica that has replayed everything it received has zero lag in time.
struct ProbeSample {
  Role role = Role::kUnknown;
  int64_t timeline = 0;
  uint64_t receive_lsn = 0;  // primary: current WAL LSN; replica: best known end of upstream WAL
  uint64_t replay_lsn = 0;   // primary: current WAL LSN; replica: last replayed LSN
  uint64_t lag_bytes = 0;
  Millis lag{0};
  bool streaming = false;      // replica: WAL receiver is streaming
  bool replay_paused = false;  // replica: pg_wal_replay_pause() in effect
  int backends = 0;
  int max_connections = 0;
};

// Abstract so the policy, publisher and loop can be tested without a database.
// Thread-safety: one caller at a time.
class NodeProbe {
 public:
  virtual ~NodeProbe() = default;
  // Takes one sample, returning by `deadline` at the latest. Errors: kUnavailable (cannot
  // connect / connection lost), kTimeout (deadline passed: the node may be hung), kProtocol
  // (unexpected reply).
  virtual Result<ProbeSample> Probe(SteadyTime deadline) = 0;
};

}  // namespace shardgate::agent
