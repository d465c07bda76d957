// The admin API as operators use it: curl against the controller of a demo-like stack (real
// HAProxy, PostgreSQL primary + replica per shard, dev Consul, agents), psql through the router
// to see where keys go. One stack for every case; each case leaves the routing it found.
#include <doctest/doctest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "haproxy/runtime_client.h"
#include "tests/harness/eventually.h"
#include "tests/harness/psql_client.h"
#include "tests/integration/admin_api_fixture.h"
#include "tests/integration/controller_live_fixture.h"

namespace shardgate::integration {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

harness::Stack* AdminStack() { return SharedStack(AdminStackOptions()); }

// The URL the docs' curl lines use when the stack serves it, else the controller's own.
std::string ExampleUrl(harness::Stack& stack) {
  const auto& extra = stack.controller()->options().extra_listen_ports;
  return extra.empty() ? stack.controller()->url()
                       : "http://127.0.0.1:" + std::to_string(extra.front());
}

std::string Url(harness::Stack& stack) { return stack.controller()->url(); }

TEST_CASE("the documented curl request moves keys 1000..2000 to shard_3 for the next connection") {
  harness::Stack* stack = AdminStack();
  REQUIRE(stack != nullptr);
  const int rw = stack->rw_port();
  CHECK(NodeVia(rw, 1500) == "shard_1/n1");
  const uint64_t before = RulesVersion(Url(*stack));

  // Exactly as docs/admin-api.md and the make run banner print it (the port is 8080 when free).
  ApiReply r = Call(
      {"-X", "POST", ExampleUrl(*stack) + "/api/v1/routing-map", "-H",
       "Content-Type: application/json", "-d",
       R"({"partition_key_range": "1000-2000", "target_backend": "shard_3", "ttl": 3600})"});
  REQUIRE_MESSAGE(r.status == 201, r.text);
  const nlohmann::json& rule = r.json.at("rule");
  CHECK(rule.at("lo") == 1000);
  CHECK(rule.at("hi") == 2000);
  CHECK(rule.at("target_backend") == "shard_3");
  CHECK(rule.at("expires_at").is_string());
  CHECK(r.json.at("version") == before + 1);
  CHECK(r.headers.at("etag") == "\"" + std::to_string(before + 1) + "\"");
  CHECK(r.json.at("change") ==
        nlohmann::json::parse(R"([{"lo":1000,"hi":2000,"from":"shard_1","to":"shard_3"}])"));

  auto answered = std::chrono::steady_clock::now();
  CHECK(WaitNodeVia(rw, 1500, "shard_3/n1", seconds(2)) == "shard_3/n1");
  MESSAGE("key 1500 on shard_3 " << std::chrono::duration_cast<milliseconds>(
                                        std::chrono::steady_clock::now() - answered)
                                        .count()
                                 << " ms after the 201");
  CHECK(NodeVia(rw, 1000) == "shard_3/n1");
  CHECK(NodeVia(rw, 2000) == "shard_3/n1");
  CHECK(NodeVia(rw, 999) == "shard_1/n1");
  CHECK(NodeVia(rw, 2001) == "shard_1/n1");
  CHECK(NodeVia(stack->ro_port(), 1500) == "shard_3/n2");

  // Deleting the rule uncovers the seed's rule again.
  const std::string id = std::to_string(rule.at("id").get<uint64_t>());
  ApiReply del = Send("DELETE", Url(*stack), "/api/v1/routing-map/rules/" + id + "?wait=applied",
                      "");
  REQUIRE_MESSAGE(del.status == 200, del.text);
  CHECK(del.json.at("applied").at("done") == true);
  CHECK(NodeVia(rw, 1500) == "shard_1/n1");
}

TEST_CASE("with wait=applied the answer comes once HAProxy runs the change: the very next "
          "connection is routed") {
  harness::Stack* stack = AdminStack();
  REQUIRE(stack != nullptr);
  ApiReply r = Send("POST", Url(*stack), "/api/v1/routing-map?wait=applied&timeout=5s",
                    R"({"partition_key_range": "3000-3999", "target_backend": "shard_3"})");
  REQUIRE_MESSAGE(r.status == 201, r.text);
  const nlohmann::json& applied = r.json.at("applied");
  CHECK(applied.at("done") == true);
  CHECK(applied.at("pending").empty());
  REQUIRE(applied.at("instances").size() == 1);
  CHECK(NodeVia(stack->rw_port(), 3500) == "shard_3/n1");

  ApiReply map = Get(Url(*stack), "/api/v1/routing-map");
  REQUIRE(map.status == 200);
  CHECK(map.json.at("fleet").at("done") == true);
  bool effective = false;
  for (const nlohmann::json& seg : map.json.at("effective")) {
    effective |= seg.at("lo") == 3000 && seg.at("hi") == 3999 &&
                 seg.at("target_backend") == "shard_3";
  }
  CHECK(effective);
  ApiReply del = Send("DELETE", Url(*stack),
                      "/api/v1/routing-map/rules/" +
                          std::to_string(r.json.at("rule").at("id").get<uint64_t>()) +
                          "?wait=applied",
                      "");
  CHECK(del.status == 200);
}

TEST_CASE("a rule with a 2 s ttl routes, then expires and routing reverts by itself") {
  harness::Stack* stack = AdminStack();
  REQUIRE(stack != nullptr);
  const int rw = stack->rw_port();
  ApiReply r =
      Send("POST", Url(*stack), "/api/v1/routing-map?wait=applied",
           R"({"partition_key_range": "6000-6099", "target_backend": "shard_3", "ttl": 2})");
  REQUIRE_MESSAGE(r.status == 201, r.text);
  CHECK(NodeVia(rw, 6050) == "shard_3/n1");
  const uint64_t version = r.json.at("version");
  CHECK(WaitNodeVia(rw, 6050, "shard_2/n1", seconds(5)) == "shard_2/n1");
  ApiReply map = Get(Url(*stack), "/api/v1/routing-map");
  CHECK(map.json.at("version") == version);  // the expiry wrote nothing
  for (const nlohmann::json& rule : map.json.at("rules")) CHECK(rule.at("lo") != 6000);
}

TEST_CASE("dry_run shows the effective change and changes nothing") {
  harness::Stack* stack = AdminStack();
  REQUIRE(stack != nullptr);
  const uint64_t before = RulesVersion(Url(*stack));
  ApiReply r = Send("POST", Url(*stack), "/api/v1/routing-map?dry_run=true",
                    R"({"partition_key_range": "4990-5009", "target_backend": "shard_3"})");
  REQUIRE_MESSAGE(r.status == 200, r.text);
  CHECK(r.json.at("dry_run") == true);
  CHECK(r.json.at("change") == nlohmann::json::parse(
                                   R"([{"lo":4990,"hi":4999,"from":"shard_1","to":"shard_3"},
                                       {"lo":5000,"hi":5009,"from":"shard_2","to":"shard_3"}])"));
  CHECK(RulesVersion(Url(*stack)) == before);
  CHECK(NodeVia(stack->rw_port(), 5005) == "shard_2/n1");
}

TEST_CASE("rollback restores an older version's routing, and the history says who did what") {
  harness::Stack* stack = AdminStack();
  REQUIRE(stack != nullptr);
  const int rw = stack->rw_port();
  const uint64_t good = RulesVersion(Url(*stack));
  ApiReply add = Send("POST", Url(*stack), "/api/v1/routing-map?wait=applied",
                      R"({"partition_key_range": "8000-8999", "target_backend": "shard_3",
                          "reason": "a mistake"})");
  REQUIRE_MESSAGE(add.status == 201, add.text);
  CHECK(NodeVia(rw, 8500) == "shard_3/n1");

  ApiReply back = Send("POST", Url(*stack), "/api/v1/routing-map/rollback?wait=applied",
                       R"({"version": )" + std::to_string(good) + R"(, "reason": "undo"})");
  REQUIRE_MESSAGE(back.status == 200, back.text);
  CHECK(back.json.at("restored_from") == good);
  CHECK(back.json.at("version") == good + 2);
  CHECK(NodeVia(rw, 8500) == "shard_2/n1");

  ApiReply versions = Get(Url(*stack), "/api/v1/routing-map/versions?limit=2");
  REQUIRE(versions.status == 200);
  const nlohmann::json& list = versions.json.at("versions");
  REQUIRE(list.size() == 2);
  CHECK(list[0].at("version") == good + 2);
  CHECK(list[0].at("action") == "rollback");
  CHECK(list[0].at("reason") == "undo");
  CHECK(list[0].at("who") == "anonymous");
  CHECK(list[1].at("action") == "add");
  CHECK(list[1].at("reason") == "a mistake");

  ApiReply unknown = Send("POST", Url(*stack), "/api/v1/routing-map/rollback",
                          R"({"version": 999999})");
  CHECK(unknown.status == 404);
  CHECK(unknown.json.at("error").at("code") == "unknown_version");
}

TEST_CASE("If-Match with a stale version is a 412 and changes nothing; the current one applies") {
  harness::Stack* stack = AdminStack();
  REQUIRE(stack != nullptr);
  const uint64_t v = RulesVersion(Url(*stack));
  const std::string body = R"({"partition_key_range": "7000-7009", "target_backend": "shard_3"})";
  ApiReply stale = Send("POST", Url(*stack), "/api/v1/routing-map", body,
                        {"If-Match: \"" + std::to_string(v - 1) + "\""});
  CHECK(stale.status == 412);
  CHECK(stale.json.at("error").at("code") == "version_mismatch");
  CHECK(RulesVersion(Url(*stack)) == v);
  ApiReply ok = Send("POST", Url(*stack), "/api/v1/routing-map?wait=applied", body,
                     {"If-Match: \"" + std::to_string(v) + "\""});
  REQUIRE_MESSAGE(ok.status == 201, ok.text);
  ApiReply del = Send("DELETE", Url(*stack),
                      "/api/v1/routing-map/rules/" +
                          std::to_string(ok.json.at("rule").at("id").get<uint64_t>()) +
                          "?wait=applied",
                      "");
  CHECK(del.status == 200);
}

struct BadRequest {
  std::string method, path, body;
  std::vector<std::string> headers;
  int status;
  std::string code;
};

TEST_CASE("bad requests each get a 4xx naming what is wrong, and the version stays") {
  harness::Stack* stack = AdminStack();
  REQUIRE(stack != nullptr);
  const std::string map = "/api/v1/routing-map";
  auto rule = [](const std::string& fields) { return "{" + fields + "}"; };
  const std::string good_target = R"("target_backend": "shard_3")";
  // One bad request per line reads better than the formatter's layout.
  // clang-format off
  const std::vector<BadRequest> cases = {
      {"POST", map, "not json", {}, 400, "invalid_json"},
      {"POST", map, "[1,2]", {}, 400, "invalid_json"},
      {"POST", map, " ", {}, 400, "invalid_json"},
      {"POST", map, R"({"partition_key_range": "1-2", "target_backend": "shard_3")", {}, 400, "invalid_json"},
      {"POST", map, rule(R"("partition_key_range": "1-2", "target_backend": "shard_3", "colour": 1)"), {}, 400, "unknown_field"},
      {"POST", map, rule(good_target), {}, 400, "missing_field"},
      {"POST", map, rule(R"("partition_key_range": "1-2")"), {}, 400, "missing_field"},
      {"POST", map, rule(R"("partition_key_range": 12, )" + good_target), {}, 400, "invalid_type"},
      {"POST", map, rule(R"("partition_key_range": "1-2", "target_backend": 3)"), {}, 400, "invalid_type"},
      {"POST", map, rule(R"("partition_key_range": "1..2", )" + good_target), {}, 400, "invalid_range"},
      {"POST", map, rule(R"("partition_key_range": "a-b", )" + good_target), {}, 400, "invalid_range"},
      {"POST", map, rule(R"("partition_key_range": "1-", )" + good_target), {}, 400, "invalid_range"},
      {"POST", map, rule(R"("partition_key_range": " 1-2", )" + good_target), {}, 400, "invalid_range"},
      {"POST", map, rule(R"("partition_key_range": "1-2-3", )" + good_target), {}, 400, "invalid_range"},
      {"POST", map, rule(R"("partition_key_range": "", )" + good_target), {}, 400, "invalid_range"},
      {"POST", map, rule(R"("partition_key_range": "2000-1000", )" + good_target), {}, 400, "range_order"},
      {"POST", map, rule(R"("partition_key_range": {"lo": 5, "hi": 1}, )" + good_target), {}, 400, "range_order"},
      {"POST", map, rule(R"("partition_key_range": "9223372036854775808-9223372036854775809", )" + good_target), {}, 400, "out_of_range"},
      {"POST", map, rule(R"("partition_key_range": "-9223372036854775809--1", )" + good_target), {}, 400, "out_of_range"},
      {"POST", map, rule(R"("partition_key_range": {"lo": 1.5, "hi": 2}, )" + good_target), {}, 400, "invalid_type"},
      {"POST", map, rule(R"("partition_key_range": {"lo": 1}, )" + good_target), {}, 400, "invalid_range"},
      {"POST", map, rule(R"("partition_key_range": "1-2", "target_backend": "shard_9")"), {}, 409, "unknown_shard"},
      {"POST", map, rule(R"("partition_key_range": "1-2", "target_backend": "shard 1")"), {}, 409, "unknown_shard"},
      {"POST", map, rule(R"("partition_key_range": "1-2", "ttl": 0, )" + good_target), {}, 400, "invalid_ttl"},
      {"POST", map, rule(R"("partition_key_range": "1-2", "ttl": -5, )" + good_target), {}, 400, "invalid_ttl"},
      {"POST", map, rule(R"("partition_key_range": "1-2", "ttl": 1.5, )" + good_target), {}, 400, "invalid_ttl"},
      {"POST", map, rule(R"("partition_key_range": "1-2", "ttl": "1h", )" + good_target), {}, 400, "invalid_ttl"},
      {"POST", map, rule(R"("partition_key_range": "1-2", "ttl": 99999999999, )" + good_target), {}, 400, "invalid_ttl"},
      {"POST", map, rule(R"("partition_key_range": "1-2", "reason": 7, )" + good_target), {}, 400, "invalid_reason"},
      {"POST", map, rule(R"("partition_key_range": "1-2", "force": "yes", )" + good_target), {}, 400, "invalid_type"},
      {"POST", map + "?dry_run=maybe", rule(R"("partition_key_range": "1-2", )" + good_target), {}, 400, "invalid_query"},
      {"POST", map + "?wait=forever", rule(R"("partition_key_range": "1-2", )" + good_target), {}, 400, "invalid_query"},
      {"POST", map + "?wait=applied&timeout=10h", rule(R"("partition_key_range": "1-2", )" + good_target), {}, 400, "invalid_query"},
      {"POST", map + "?colour=red", rule(R"("partition_key_range": "1-2", )" + good_target), {}, 400, "invalid_query"},
      {"POST", map, rule(R"("partition_key_range": "1-2", )" + good_target), {"If-Match: soon"}, 400, "invalid_if_match"},
      {"POST", map, rule(R"("partition_key_range": "1-2", )" + good_target), {"Content-Type: text/plain"}, 415, "unsupported_media_type"},
      {"PUT", map, R"({"rules": "all"})", {}, 400, "invalid_type"},
      {"PUT", map, R"({"rules": [{"partition_key_range": "5-1", "target_backend": "shard_1"}]})", {}, 400, "range_order"},
      {"PUT", map, R"({"ruls": []})", {}, 400, "unknown_field"},
      {"DELETE", map + "/rules/999999", "", {}, 404, "unknown_rule"},
      {"DELETE", map + "/rules/abc", "", {}, 404, "unknown_rule"},
      {"POST", map + "/rollback", R"({"version": "7"})", {}, 400, "invalid_type"},
      {"POST", map + "/rollback", R"({})", {}, 400, "missing_field"},
      {"POST", map + "/rollback", R"({"version": 999999})", {}, 404, "unknown_version"},
      {"GET", map + "/versions?limit=0", "", {}, 400, "invalid_query"},
      {"PATCH", map, "{}", {}, 405, "method_not_allowed"},
      {"GET", "/api/v1/nothing", "", {}, 404, "not_found"},
  };
  // clang-format on
  const uint64_t before = RulesVersion(Url(*stack));
  int index = 0;
  for (const BadRequest& c : cases) {
    CAPTURE(index);
    CAPTURE(c.method);
    CAPTURE(c.path);
    CAPTURE(c.body);
    ApiReply r = c.method == "GET" ? Get(Url(*stack), c.path, c.headers)
                                   : Send(c.method, Url(*stack), c.path, c.body, c.headers);
    CHECK(r.status == c.status);
    REQUIRE_MESSAGE(r.json.is_object(), r.text);
    CHECK(r.json.at("error").at("code") == c.code);
    CHECK(!r.json.at("error").at("message").get<std::string>().empty());
    ++index;
  }
  MESSAGE(cases.size() << " distinct bad requests answered");
  CHECK(cases.size() >= 40);
  CHECK(RulesVersion(Url(*stack)) == before);
  CHECK(NodeVia(stack->rw_port(), 1500) == "shard_1/n1");

  // A body over the limit is refused whole.
  const std::filesystem::path big = stack->dir() / "big-body.json";
  std::ofstream(big) << std::string(2 * 1024 * 1024, ' ') << "{}";
  ApiReply r = Call({"-X", "POST", Url(*stack) + map, "-H", "Content-Type: application/json",
                     "--data-binary", "@" + big.string()});
  CHECK(r.status == 413);
  CHECK(r.json.at("error").at("code") == "body_too_large");
  CHECK(RulesVersion(Url(*stack)) == before);
}

TEST_CASE("GET /api/v1/shards shows each shard's nodes and what HAProxy has, sessions included") {
  harness::Stack* stack = AdminStack();
  REQUIRE(stack != nullptr);
  // An open session on shard_1's primary through the router.
  harness::PsqlArgs hold;
  hold.port = stack->rw_port();
  hold.options = "-c shardgate.key=42";
  hold.sql = "select pg_sleep(3)";
  std::thread session([&] { (void)harness::Psql(hold); });
  nlohmann::json shard_1;
  bool seen = harness::Eventually(
      [&] {
        ApiReply r = Get(Url(*stack), "/api/v1/shards");
        if (r.status != 200) return false;
        for (const nlohmann::json& s : r.json.at("shards")) {
          if (s.at("name") == "shard_1") shard_1 = s;
        }
        if (shard_1.is_null()) return false;
        for (const nlohmann::json& srv : shard_1.at("haproxy").at(0).at("servers")) {
          if (srv.at("backend") == "shard_1_rw" && srv.at("sessions").get<int>() >= 1) return true;
        }
        return false;
      },
      seconds(3));
  session.join();
  INFO(shard_1.dump());
  CHECK(seen);
  CHECK(shard_1.at("healthy_primary") == true);
  REQUIRE(shard_1.at("nodes").size() == 2);
  CHECK(shard_1.at("nodes").at(0).at("role") == "primary");
  CHECK(shard_1.at("nodes").at(0).at("health") == "passing");
  CHECK(shard_1.at("nodes").at(1).at("role") == "replica");
}

// Keys 0..999,999 in 100,000 ranges of ten, round-robin over the three shards.
std::string HundredThousandRanges() {
  std::string body = R"({"reason": "bulk load", "rules": [)";
  for (int i = 0; i < 100000; ++i) {
    if (i > 0) body += ",";
    body += R"({"partition_key_range": ")" + std::to_string(i * 10) + "-" +
            std::to_string(i * 10 + 9) + R"(", "target_backend": "shard_)" +
            std::to_string(i % 3 + 1) + "\"}";
  }
  return body + "]}";
}

TEST_CASE("a PUT of 100,000 ranges routes a sample of keys right, and rolls back") {
  harness::Stack* stack = AdminStack();
  REQUIRE(stack != nullptr);
  const uint64_t before = RulesVersion(Url(*stack));
  const std::filesystem::path file = stack->dir() / "bulk.json";
  std::ofstream(file) << HundredThousandRanges();
  auto started = std::chrono::steady_clock::now();
  ApiReply r = Call({"-X", "PUT", Url(*stack) + "/api/v1/routing-map?wait=applied&timeout=60s",
                     "-H", "Content-Type: application/json", "--data-binary", "@" + file.string()});
  REQUIRE_MESSAGE(r.status == 200, r.text.substr(0, 2000));
  MESSAGE("PUT of 100,000 ranges applied in "
          << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started)
                 .count()
          << " ms");
  CHECK(r.json.at("rule_count") == 100000);
  CHECK(r.json.at("applied").at("done") == true);
  // The first connection after the change waits while HAProxy's Lua decodes the 100,000-range
  // map once (seconds on a loaded 2-core machine); the check is the routing, not that wait.
  started = std::chrono::steady_clock::now();
  CHECK(WaitNodeVia(stack->rw_port(), 0, "shard_1/n1", std::chrono::seconds(30)) == "shard_1/n1");
  MESSAGE("first connection routed "
          << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started)
                 .count()
          << " ms after the change was applied");
  for (int64_t key : {0, 15, 29, 123457, 500000, 999999}) {
    CAPTURE(key);
    CHECK(NodeVia(stack->rw_port(), key) == "shard_" + std::to_string((key / 10) % 3 + 1) + "/n1");
  }
  CHECK(NodeVia(stack->rw_port(), 1000000).starts_with("psql failed"));

  ApiReply back = Send("POST", Url(*stack), "/api/v1/routing-map/rollback?wait=applied&timeout=60s",
                       R"({"version": )" + std::to_string(before) + "}");
  REQUIRE_MESSAGE(back.status == 200, back.text);
  CHECK(NodeVia(stack->rw_port(), 29) == "shard_1/n1");
  CHECK(NodeVia(stack->rw_port(), 5005) == "shard_2/n1");
}

}  // namespace
}  // namespace shardgate::integration
