// PgProbe: the real NodeProbe: kProbeSql over a PqSession, one round trip per probe.
#pragma once

#include <string>

#include "agent/pq_session.h"
#include "agent/probe.h"

namespace shardgate::agent {

// Thread-safety: one caller at a time (NodeProbe contract).
class PgProbe final : public NodeProbe {
 public:
  // See PqSession for `conninfo` and `connect_timeout`. `clock` must outlive the probe.
  PgProbe(const Clock& clock, std::string conninfo, Millis connect_timeout)
      : session_(clock, std::move(conninfo), connect_timeout) {}

  Result<ProbeSample> Probe(SteadyTime deadline) override;

 private:
  PqSession session_;
};

}  // namespace shardgate::agent
