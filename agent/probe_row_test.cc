// Probe row interpretation: LSNs, roles, lag rules, malformed rows.
#include "agent/probe_row.h"

#include <doctest/doctest.h>

namespace shardgate::agent {
namespace {

ProbeRow Row(const char* recovery, const char* receive, const char* replay, const char* age_ms) {
  auto opt = [](const char* v) { return v ? std::optional<std::string>(v) : std::nullopt; };
  return {opt(recovery), opt("3"),    opt(receive), opt(replay), opt("t"),
          opt("f"),      opt(age_ms), opt("7"),     opt("100")};
}

TEST_CASE("LSNs parse as two hex halves") {
  CHECK(*ParseLsn("0/3000060") == 0x3000060u);
  CHECK(*ParseLsn("1A/FF") == ((uint64_t{0x1A} << 32) | 0xFF));
  CHECK_FALSE(ParseLsn("3000060").ok());
  CHECK_FALSE(ParseLsn("0/").ok());
  CHECK_FALSE(ParseLsn("0/xyz").ok());
}

TEST_CASE("a primary row has zero lag even with an old last replay timestamp") {
  auto s = SampleFromRow(Row("f", "0/5000000", "0/5000000", "99999"));
  REQUIRE(s.ok());
  CHECK(s->role == Role::kPrimary);
  CHECK(s->timeline == 3);
  CHECK(s->lag_bytes == 0);
  CHECK(s->lag == Millis(0));
  CHECK(s->backends == 7);
  CHECK(s->max_connections == 100);
}

TEST_CASE("a caught-up replica on an idle primary has zero lag whatever its replay age") {
  auto s = SampleFromRow(Row("t", "0/5000000", "0/5000000", "600000"));
  REQUIRE(s.ok());
  CHECK(s->role == Role::kReplica);
  CHECK(s->lag_bytes == 0);
  CHECK(s->lag == Millis(0));
}

TEST_CASE("a replica behind its received WAL reports lag in bytes and in time") {
  auto s = SampleFromRow(Row("t", "0/5000100", "0/5000000", "1500"));
  REQUIRE(s.ok());
  CHECK(s->lag_bytes == 0x100);
  CHECK(s->lag == Millis(1500));
}

TEST_CASE(
    "a replica that never replayed a transaction reports byte lag with unknown time lag as zero") {
  auto s = SampleFromRow(Row("t", "0/5000100", "0/5000000", nullptr));
  REQUIRE(s.ok());
  CHECK(s->lag_bytes == 0x100);
  CHECK(s->lag == Millis(0));
}

TEST_CASE("malformed rows are refused naming the column") {
  CHECK(SampleFromRow({}).status().message() == "probe row has 0 columns, want 9");
  auto bad = Row("maybe", "0/1", "0/1", nullptr);
  CHECK(SampleFromRow(bad).status().message() == "probe column in_recovery: not a boolean: maybe");
  auto lsn = Row("t", "zz", "0/1", nullptr);
  CHECK(SampleFromRow(lsn).status().code() == Code::kProtocol);
  CHECK(SampleFromRow(lsn).status().message().starts_with("probe column receive_lsn"));
}

TEST_CASE("the probe is a single statement") {
  std::string sql = kProbeSql;
  CHECK(sql.find(';') == std::string::npos);
  CHECK(sql.starts_with("SELECT "));
}

}  // namespace
}  // namespace shardgate::agent
