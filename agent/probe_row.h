// The probe's single SQL statement and the pure conversion of its one result row to a ProbeSample.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/probe.h"
#include "common/status.h"

namespace shardgate::agent {

// One round trip returns everything the policy needs; columns in this order:
// in_recovery, timeline, receive_lsn, replay_lsn, streaming, replay_paused, replay_age_ms,
// backends, max_connections. docs/agent.md explains each source.
extern const char kProbeSql[];
inline constexpr int kProbeColumns = 9;

// A result row as libpq returns it: text values, NULL as nullopt.
using ProbeRow = std::vector<std::optional<std::string>>;

// Parses "X/Y" (hex halves) into a 64-bit LSN. Rejects anything else.
Result<uint64_t> ParseLsn(std::string_view text);

// Interprets the row. Lag rules: a primary has zero lag (an idle primary must never look like a
// lagging replica); a replica's lag in bytes is receive - replay; its lag in time is
// now() - last replayed commit only while something received is not yet replayed, else zero.
// Rejects rows with a wrong column count or unparsable values (kProtocol, naming the column).
Result<ProbeSample> SampleFromRow(const ProbeRow& row);

}  // namespace shardgate::agent
