// Probe SQL text and row interpretation (pure; see probe_row.h).
#include "agent/probe_row.h"

#include "common/numbers.h"

namespace shardgate::agent {

// Why these sources:
// - The timeline of a primary comes from the name of its current WAL segment: right after a
//   promotion pg_control_checkpoint().timeline_id still shows the old timeline until the next
//   checkpoint completes (verified on PostgreSQL 15), while the WAL insert timeline is already new.
// - A replica's timeline is the one its WAL receiver streams; without a receiver, the timeline
//   of its last restartpoint.
// - latest_end_lsn is the upstream's end of WAL as last reported to the receiver, so lag counts
//   WAL the primary has and the replica has not even received yet.
// - pg_is_in_recovery() is evaluated once in a non-flattenable subquery (volatile), so a
//   promotion during the statement cannot mix primary and replica columns.
const char kProbeSql[] =
    "SELECT r,"
    " CASE WHEN r THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver),"
    " (pg_control_checkpoint()).timeline_id)"
    " ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END,"
    " CASE WHEN r THEN coalesce(greatest(pg_last_wal_receive_lsn(),"
    " (SELECT latest_end_lsn FROM pg_stat_wal_receiver)), pg_last_wal_replay_lsn())"
    " ELSE pg_current_wal_lsn() END,"
    " CASE WHEN r THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END,"
    " (SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming') > 0,"
    " CASE WHEN r THEN pg_get_wal_replay_pause_state() <> 'not paused' ELSE false END,"
    " CASE WHEN r THEN (extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000)::bigint"
    " END,"
    " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int,"
    " current_setting('max_connections')::int"
    " FROM (SELECT pg_is_in_recovery() AS r) AS s";

namespace {

constexpr const char* kColumnNames[kProbeColumns] = {
    "in_recovery",   "timeline",      "receive_lsn", "replay_lsn",     "streaming",
    "replay_paused", "replay_age_ms", "backends",    "max_connections"};

Status BadColumn(int index, std::string_view why) {
  return ProtocolError(std::string("probe column ") + kColumnNames[index] + ": " +
                       std::string(why));
}

Result<bool> ParseBool(const ProbeRow& row, int i) {
  if (!row[i]) return BadColumn(i, "unexpected NULL");
  if (*row[i] == "t") return true;
  if (*row[i] == "f") return false;
  return BadColumn(i, "not a boolean: " + *row[i]);
}

// A NULL integer reads as `fallback`.
Result<int64_t> ParseInt(const ProbeRow& row, int i, std::optional<int64_t> fallback) {
  if (!row[i]) {
    if (fallback) return *fallback;
    return BadColumn(i, "unexpected NULL");
  }
  int64_t v = 0;
  if (!ParseInteger(*row[i], &v)) return BadColumn(i, "not an integer: " + *row[i]);
  return v;
}

Result<uint64_t> ParseLsnColumn(const ProbeRow& row, int i) {
  if (!row[i]) return uint64_t{0};
  auto lsn = ParseLsn(*row[i]);
  if (!lsn.ok()) return BadColumn(i, lsn.status().message());
  return lsn;
}

}  // namespace

Result<uint64_t> ParseLsn(std::string_view text) {
  size_t slash = text.find('/');
  uint32_t hi = 0, lo = 0;
  if (slash == std::string_view::npos || !ParseInteger(text.substr(0, slash), &hi, 16) ||
      !ParseInteger(text.substr(slash + 1), &lo, 16)) {
    return ProtocolError("not an LSN: " + std::string(text));
  }
  return (uint64_t{hi} << 32) | lo;
}

Result<ProbeSample> SampleFromRow(const ProbeRow& row) {
  if (row.size() != kProbeColumns) {
    return ProtocolError("probe row has " + std::to_string(row.size()) + " columns, want " +
                         std::to_string(kProbeColumns));
  }
  auto recovery = ParseBool(row, 0);
  auto timeline = ParseInt(row, 1, std::nullopt);
  auto receive = ParseLsnColumn(row, 2);
  auto replay = ParseLsnColumn(row, 3);
  auto streaming = ParseBool(row, 4);
  auto paused = ParseBool(row, 5);
  auto age_ms = ParseInt(row, 6, int64_t{0});
  auto backends = ParseInt(row, 7, std::nullopt);
  auto max_conn = ParseInt(row, 8, std::nullopt);
  for (const Status* s : {&recovery.status(), &timeline.status(), &receive.status(),
                          &replay.status(), &streaming.status(), &paused.status(), &age_ms.status(),
                          &backends.status(), &max_conn.status()}) {
    RETURN_IF_ERROR(*s);
  }
  ProbeSample sample;
  sample.role = *recovery ? Role::kReplica : Role::kPrimary;
  sample.timeline = *timeline;
  sample.receive_lsn = *receive;
  sample.replay_lsn = *replay;
  sample.streaming = *streaming;
  sample.replay_paused = *paused;
  sample.backends = static_cast<int>(*backends);
  sample.max_connections = static_cast<int>(*max_conn);
  if (sample.role == Role::kReplica && sample.receive_lsn > sample.replay_lsn) {
    sample.lag_bytes = sample.receive_lsn - sample.replay_lsn;
    sample.lag = Millis(*age_ms > 0 ? *age_ms : 0);
  }
  return sample;
}

}  // namespace shardgate::agent
