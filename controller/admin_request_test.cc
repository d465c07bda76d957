// Admin request parsing: the accepted forms, and a table of bad inputs with the code and field
// each must be refused with.
#include "controller/admin_request.h"

#include <doctest/doctest.h>

#include <chrono>
#include <limits>

#include <nlohmann/json.hpp>

namespace shardgate::controller {
namespace {

using Json = nlohmann::json;
using Query = std::map<std::string, std::string>;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// One refused input: what is sent, and the status, code and field the reply must carry.
struct BadCase {
  std::string input;
  int status;
  std::string code;
  std::string field;
};

template <typename T>
void CheckRefused(const AdminResult<T>& result, const BadCase& c) {
  CAPTURE(c.input);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().status == c.status);
  CHECK(result.error().code == c.code);
  CHECK(result.error().field == c.field);
  CHECK_FALSE(result.error().message.empty());
}

KeyRange Range(std::string_view json) { return *ParseKeyRange(Json::parse(json)); }

TEST_CASE("a key range is a string of one or two signed bounds or a lo/hi object") {
  CHECK(Range(R"("1000-2000")") == KeyRange{1000, 2000});
  CHECK(Range(R"("-500--1")") == KeyRange{-500, -1});
  CHECK(Range(R"("-5-5")") == KeyRange{-5, 5});
  CHECK(Range(R"("42")") == KeyRange{42, 42});
  CHECK(Range(R"("-42")") == KeyRange{-42, -42});
  CHECK(Range(R"("-9223372036854775808-9223372036854775807")") == KeyRange{kMin, kMax});
  CHECK(Range(R"({"lo": -500, "hi": -1})") == KeyRange{-500, -1});
  CHECK(Range(R"({"hi": 9223372036854775807, "lo": -9223372036854775808})") ==
        KeyRange{kMin, kMax});
}

TEST_CASE("a bad key range is refused with a code that says what is wrong with it") {
  const std::vector<BadCase> cases = {
      {R"("")", 400, "invalid_range", "partition_key_range"},
      {R"("-")", 400, "invalid_range", "partition_key_range"},
      {R"("1-")", 400, "invalid_range", "partition_key_range"},
      {R"("-1-")", 400, "invalid_range", "partition_key_range"},
      {R"("--5")", 400, "invalid_range", "partition_key_range"},
      {R"("1--")", 400, "invalid_range", "partition_key_range"},
      {R"("1-2-3")", 400, "invalid_range", "partition_key_range"},
      {R"(" 1-2")", 400, "invalid_range", "partition_key_range"},
      {R"("1-2 ")", 400, "invalid_range", "partition_key_range"},
      {R"("1 - 2")", 400, "invalid_range", "partition_key_range"},
      {R"("+1-2")", 400, "invalid_range", "partition_key_range"},
      {R"("1-+2")", 400, "invalid_range", "partition_key_range"},
      {R"("x1-2")", 400, "invalid_range", "partition_key_range"},
      {R"("1..2")", 400, "invalid_range", "partition_key_range"},
      {R"("0x10-0x20")", 400, "invalid_range", "partition_key_range"},
      {R"("1e3")", 400, "invalid_range", "partition_key_range"},
      {R"("9223372036854775808-1")", 400, "out_of_range", "partition_key_range"},
      {R"("1-9223372036854775808")", 400, "out_of_range", "partition_key_range"},
      {R"("-9223372036854775809")", 400, "out_of_range", "partition_key_range"},
      {R"("99999999999999999999999999")", 400, "out_of_range", "partition_key_range"},
      {R"("2000-1000")", 400, "range_order", "partition_key_range"},
      {R"("-1--2")", 400, "range_order", "partition_key_range"},
      {R"({"lo": 5, "hi": 4})", 400, "range_order", "partition_key_range"},
      {R"({"lo": 1.5, "hi": 4})", 400, "invalid_type", "partition_key_range"},
      {R"({"lo": 1, "hi": "4"})", 400, "invalid_type", "partition_key_range"},
      {R"({"lo": 1, "hi": null})", 400, "invalid_type", "partition_key_range"},
      {R"({"lo": 1, "hi": 9223372036854775808})", 400, "out_of_range", "partition_key_range"},
      {R"({"lo": -9223372036854775809, "hi": 1})", 400, "out_of_range", "partition_key_range"},
      {R"({"lo": 1, "hi": 1e300})", 400, "out_of_range", "partition_key_range"},
      {R"({"lo": 1})", 400, "invalid_range", "partition_key_range"},
      {R"({"lo": 1, "hi": 2, "step": 1})", 400, "invalid_range", "partition_key_range"},
      {R"(1000)", 400, "invalid_type", "partition_key_range"},
      {R"([1, 2])", 400, "invalid_type", "partition_key_range"},
      {R"(null)", 400, "invalid_type", "partition_key_range"},
  };
  for (const BadCase& c : cases) CheckRefused(ParseKeyRange(Json::parse(c.input)), c);
}

TEST_CASE("a rule body is read with its defaults and its optional fields") {
  AdminResult<RuleInput> plain = ParseAddBody(
      R"({"partition_key_range": "1000-2000", "target_backend": "shard_3"})");
  REQUIRE(plain.ok());
  CHECK(*plain == RuleInput{1000, 2000, "shard_3", std::nullopt, "", false});
  AdminResult<RuleInput> full = ParseAddBody(
      R"({"partition_key_range": {"lo": 1, "hi": 2}, "target_backend": "shard_3", "ttl": 3600,
          "reason": "move hot tenants", "force": true})");
  REQUIRE(full.ok());
  CHECK(*full == RuleInput{1, 2, "shard_3", 3600, "move hot tenants", true});
  AdminResult<RuleInput> nulls = ParseAddBody(
      R"({"partition_key_range": "7", "target_backend": "s", "ttl": null, "reason": null})");
  REQUIRE(nulls.ok());
  CHECK(*nulls == RuleInput{7, 7, "s", std::nullopt, "", false});
}

TEST_CASE("a bad rule body is refused naming the field") {
  const std::string range = R"("partition_key_range": "1-2")";
  const std::string target = R"("target_backend": "shard_3")";
  const std::string ok = range + ", " + target;
  const std::vector<BadCase> cases = {
      {"", 400, "invalid_json", ""},
      {"{", 400, "invalid_json", ""},
      {"[]", 400, "invalid_json", ""},
      {"\"text\"", 400, "invalid_json", ""},
      {"{" + ok + "} trailing", 400, "invalid_json", ""},
      {"{" + target + "}", 400, "missing_field", "partition_key_range"},
      {"{" + range + "}", 400, "missing_field", "target_backend"},
      {"{" + ok + R"(, "shard": "x"})", 400, "unknown_field", "shard"},
      {"{" + ok + R"(, "TTL": 5})", 400, "unknown_field", "TTL"},
      {"{" + range + R"(, "target_backend": 3})", 400, "invalid_type", "target_backend"},
      {"{" + range + R"(, "target_backend": ""})", 409, "unknown_shard", "target_backend"},
      {"{" + range + R"(, "target_backend": "shard 3"})", 409, "unknown_shard", "target_backend"},
      {"{" + range + R"(, "target_backend": "shard/3"})", 409, "unknown_shard", "target_backend"},
      {"{" + ok + R"(, "ttl": 0})", 400, "invalid_ttl", "ttl"},
      {"{" + ok + R"(, "ttl": -5})", 400, "invalid_ttl", "ttl"},
      {"{" + ok + R"(, "ttl": 31536001})", 400, "invalid_ttl", "ttl"},
      {"{" + ok + R"(, "ttl": 1.5})", 400, "invalid_ttl", "ttl"},
      {"{" + ok + R"(, "ttl": "3600"})", 400, "invalid_ttl", "ttl"},
      {"{" + ok + R"(, "ttl": true})", 400, "invalid_ttl", "ttl"},
      {"{" + ok + R"(, "ttl": 18446744073709551615})", 400, "invalid_ttl", "ttl"},
      {"{" + ok + R"(, "reason": 5})", 400, "invalid_reason", "reason"},
      {"{" + ok + R"(, "reason": ")" + std::string(513, 'r') + "\"}", 400, "invalid_reason",
       "reason"},
      {"{" + ok + R"(, "force": "yes"})", 400, "invalid_type", "force"},
      {"{" + ok + R"(, "force": 1})", 400, "invalid_type", "force"},
  };
  for (const BadCase& c : cases) CheckRefused(ParseAddBody(c.input), c);
}

TEST_CASE("ttl takes one second and one year, and a reason takes 512 bytes") {
  const std::string ok = R"({"partition_key_range": "1", "target_backend": "s", )";
  CHECK(ParseAddBody(ok + R"("ttl": 1})")->ttl_seconds == 1);
  CHECK(ParseAddBody(ok + R"("ttl": 31536000})")->ttl_seconds == kMaxTtlSeconds);
  CHECK(ParseAddBody(ok + R"("reason": ")" + std::string(512, 'r') + "\"}").ok());
}

TEST_CASE("a replace body names the rule an error is in") {
  const std::vector<BadCase> cases = {
      {R"({})", 400, "missing_field", "rules"},
      {R"({"rules": {}})", 400, "invalid_type", "rules"},
      {R"({"rules": [], "dry_run": true})", 400, "unknown_field", "dry_run"},
      {R"({"rules": [], "force": null})", 400, "invalid_type", "force"},
      {R"({"rules": [], "reason": []})", 400, "invalid_reason", "reason"},
      {R"({"rules": [5]})", 400, "invalid_type", "rules[0]"},
      {R"({"rules": [{"partition_key_range": "1", "target_backend": "a"},
                     {"partition_key_range": "2-1", "target_backend": "a"}]})",
       400, "range_order", "rules[1].partition_key_range"},
      {R"({"rules": [{"partition_key_range": "1", "target_backend": "a", "force": true}]})", 400,
       "unknown_field", "rules[0].force"},
      {R"({"rules": [{"partition_key_range": "1"}]})", 400, "missing_field",
       "rules[0].target_backend"},
      {R"({"rules": [{"partition_key_range": "1", "target_backend": "a", "ttl": 0}]})", 400,
       "invalid_ttl", "rules[0].ttl"},
  };
  for (const BadCase& c : cases) CheckRefused(ParsePutBody(c.input), c);
  AdminResult<PutInput> error = ParsePutBody(R"({"rules": [{"partition_key_range": "x",
      "target_backend": "a"}]})");
  REQUIRE_FALSE(error.ok());
  CHECK(error.error().message.rfind("rules[0].partition_key_range", 0) == 0);
}

TEST_CASE("a replace body of 100000 rules is read whole and in order") {
  Json rules = Json::array();
  for (int64_t i = 0; i < 100'000; ++i) {
    rules.push_back(
        {{"partition_key_range", std::to_string(i * 10) + "-" + std::to_string(i * 10 + 9)},
         {"target_backend", "shard_" + std::to_string(i % 7)},
         {"ttl", 60}});
  }
  Json body = {{"rules", std::move(rules)}, {"reason", "rebalance"}, {"force", true}};
  AdminResult<PutInput> put = ParsePutBody(body.dump());
  REQUIRE(put.ok());
  REQUIRE(put->rules.size() == 100'000);
  CHECK(put->rules[99'999] == RuleInput{999'990, 999'999, "shard_4", 60, "", false});
  CHECK(put->reason == "rebalance");
  CHECK(put->force);
}

TEST_CASE("a rollback body takes a positive version and an optional reason") {
  AdminResult<RollbackInput> ok = ParseRollbackBody(R"({"version": 7, "reason": "oops"})");
  REQUIRE(ok.ok());
  CHECK(ok->version == 7);
  CHECK(ok->reason == "oops");
  const std::vector<BadCase> cases = {
      {R"(7)", 400, "invalid_json", ""},
      {R"({})", 400, "missing_field", "version"},
      {R"({"version": 0})", 400, "invalid_type", "version"},
      {R"({"version": -3})", 400, "invalid_type", "version"},
      {R"({"version": "7"})", 400, "invalid_type", "version"},
      {R"({"version": 7.5})", 400, "invalid_type", "version"},
      {R"({"version": 7, "force": true})", 400, "unknown_field", "force"},
      {R"({"version": 7, "reason": false})", 400, "invalid_reason", "reason"},
  };
  for (const BadCase& c : cases) CheckRefused(ParseRollbackBody(c.input), c);
}

TEST_CASE("a change query reads dry_run, wait and timeout") {
  CHECK(*ParseChangeQuery({}) == ChangeQuery{false, false, std::chrono::seconds(5)});
  CHECK(*ParseChangeQuery({{"dry_run", "true"}}) == ChangeQuery{true, false, kDefaultWaitTimeout});
  CHECK(*ParseChangeQuery({{"dry_run", "0"}}) == ChangeQuery{false, false, kDefaultWaitTimeout});
  CHECK(*ParseChangeQuery({{"wait", "applied"}, {"timeout", "250ms"}}) ==
        ChangeQuery{false, true, Millis(250)});
  CHECK(ParseChangeQuery({{"timeout", "1m"}})->timeout == std::chrono::minutes(1));
  CHECK(ParseChangeQuery({{"timeout", "1.5s"}})->timeout == Millis(1500));
  CHECK(ParseChangeQuery({{"timeout", "1us"}})->timeout == Millis(1));
}

TEST_CASE("a bad query parameter is refused naming it") {
  const std::vector<std::pair<Query, std::string>> cases = {
      {{{"dry_run", "yes"}}, "dry_run"},  {{{"dry_run", ""}}, "dry_run"},
      {{{"dry_run", "TRUE"}}, "dry_run"}, {{{"wait", "forever"}}, "wait"},
      {{{"wait", ""}}, "wait"},           {{{"timeout", "5"}}, "timeout"},
      {{{"timeout", "0s"}}, "timeout"},   {{{"timeout", "-1s"}}, "timeout"},
      {{{"timeout", "61s"}}, "timeout"},  {{{"timeout", "2h"}}, "timeout"},
      {{{"timeout", "5 s"}}, "timeout"},  {{{"dryrun", "true"}}, "dryrun"},
      {{{"limit", "5"}}, "limit"},
  };
  for (const auto& [query, field] : cases) {
    CheckRefused(ParseChangeQuery(query), {query.begin()->second, 400, "invalid_query", field});
  }
}

TEST_CASE("limit defaults, is bounded and refuses anything but a positive integer") {
  CHECK(*ParseLimit({}) == 50);
  CHECK(*ParseLimit({{"limit", "7"}}) == 7);
  CHECK(*ParseLimit({{"limit", "1000"}}) == 1000);
  for (std::string bad : {"0", "-1", "1001", "", "5x", " 5", "+5"}) {
    CheckRefused(ParseLimit({{"limit", bad}}), {bad, 400, "invalid_query", "limit"});
  }
  CheckRefused(ParseLimit({{"dry_run", "1"}}), {"dry_run", 400, "invalid_query", "dry_run"});
}

TEST_CASE("If-Match takes a quoted, bare or weak version, or a star") {
  using Kind = IfMatch::Kind;
  CHECK(*ParseIfMatch(std::nullopt) == IfMatch{Kind::kNone, 0});
  CHECK(*ParseIfMatch("*") == IfMatch{Kind::kAny, 0});
  CHECK(*ParseIfMatch("\"7\"") == IfMatch{Kind::kVersion, 7});
  CHECK(*ParseIfMatch("7") == IfMatch{Kind::kVersion, 7});
  CHECK(*ParseIfMatch("W/\"7\"") == IfMatch{Kind::kVersion, 7});
  CHECK(*ParseIfMatch(" \"0\" ") == IfMatch{Kind::kVersion, 0});
  for (std::string bad : {"", "\"\"", "\"7", "7\"", "\"x\"", "\"7\", \"8\"", "-1", "\"-1\"",
                          "w/\"7\"", "W/7x", "18446744073709551616", "**"}) {
    CheckRefused(ParseIfMatch(bad), {bad, 400, "invalid_if_match", "If-Match"});
  }
}

TEST_CASE("a body must be sent as application/json, with parameters in any case") {
  CHECK_FALSE(CheckJsonContentType("application/json").has_value());
  CHECK_FALSE(CheckJsonContentType("Application/JSON; charset=utf-8").has_value());
  CHECK_FALSE(CheckJsonContentType("application/json ;charset=UTF-8").has_value());
  for (std::optional<std::string> bad : std::vector<std::optional<std::string>>{
           std::nullopt, "", "text/plain", "application/jsonx", "application/x-www-form-urlencoded",
           "application/json-patch+json"}) {
    std::optional<AdminError> error = CheckJsonContentType(bad);
    REQUIRE(error.has_value());
    CHECK(error->status == 415);
    CHECK(error->code == "unsupported_media_type");
  }
}

}  // namespace
}  // namespace shardgate::controller
