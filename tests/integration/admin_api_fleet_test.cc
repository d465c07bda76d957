// The admin API across a fleet: two HAProxys with a controller each on one Consul. Concurrent
// writers spread over both controllers lose no acknowledged change and every HAProxy ends on the
// same version; bearer tokens (401 vs 403, who in the history); a non-loopback listener without
// tokens is refused at start-up.
#include <doctest/doctest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <set>
#include <thread>

#include "tests/harness/controller_process.h"
#include "tests/harness/eventually.h"
#include "tests/harness/psql_client.h"
#include "tests/integration/admin_api_fixture.h"
#include "tests/integration/controller_live_fixture.h"

namespace shardgate::integration {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr char kRwToken[] = "rw-token-0123456789abcdef";
constexpr char kRoToken[] = "ro-token-0123456789abcdef";

struct Fleet {
  harness::Stack* stack = nullptr;
  SecondHaproxy second;
  harness::ControllerProcess* second_controller = nullptr;  // with tokens
};

Fleet* SharedFleet() {
  static Fleet fleet;
  if (fleet.stack != nullptr) return &fleet;
  fleet.stack = SharedStack(AdminStackOptions());
  REQUIRE(fleet.stack != nullptr);
  const std::filesystem::path tokens = fleet.stack->dir() / "admin-tokens";
  std::ofstream(tokens) << "# name access token\nalice rw " << kRwToken << "\nbob ro " << kRoToken
                        << "\n";
  fleet.second = StartSecondHaproxy(*fleet.stack);
  fleet.second_controller = &StartSecondController(*fleet.stack, fleet.second.spec, "fleet-second",
                                                   {"--admin_tokens_file=" + tokens.string()});
  return &fleet;
}

std::string Bearer(const std::string& token) { return "Authorization: Bearer " + token; }

TEST_CASE("20 writers x 20 changes over two controllers: every acknowledged change is kept and "
          "both HAProxys end on the same version") {
  Fleet* fleet = SharedFleet();
  const std::string a = fleet->stack->controller()->url();
  const std::string b = fleet->second_controller->url();
  const uint64_t before = RulesVersion(a);
  std::mutex mu;
  std::set<uint64_t> acknowledged;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  auto started = std::chrono::steady_clock::now();
  for (int w = 0; w < 20; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 20; ++i) {
        const int64_t lo = 100000 + (w * 20 + i) * 10;
        const std::string body = R"({"partition_key_range": ")" + std::to_string(lo) + "-" +
                                 std::to_string(lo + 9) + R"(", "target_backend": "shard_3"})";
        ApiReply r = w % 2 == 0 ? Send("POST", a, "/api/v1/routing-map", body)
                                : Send("POST", b, "/api/v1/routing-map", body, {Bearer(kRwToken)});
        if (r.status != 201) {
          ++failures;
          MESSAGE("writer " << w << " change " << i << ": " << r.status << " " << r.text);
          continue;
        }
        std::lock_guard lock(mu);
        acknowledged.insert(r.json.at("rule").at("id").get<uint64_t>());
      }
    });
  }
  for (std::thread& t : writers) t.join();
  MESSAGE("400 concurrent changes in "
          << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started)
                 .count()
          << " ms");
  CHECK(failures == 0);
  CHECK(acknowledged.size() == 400);

  ApiReply map = Get(a, "/api/v1/routing-map");
  REQUIRE(map.status == 200);
  CHECK(map.json.at("version") == before + 400);
  std::set<uint64_t> stored;
  for (const nlohmann::json& rule : map.json.at("rules"))
    stored.insert(rule.at("id").get<uint64_t>());
  for (uint64_t id : acknowledged) {
    CAPTURE(id);
    CHECK(stored.contains(id));
  }
  // Both HAProxys, through both controllers' reports, on the final version.
  nlohmann::json fleet_state;
  CHECK(harness::Eventually(
      [&] {
        fleet_state = Get(b, "/api/v1/routing-map", {Bearer(kRoToken)}).json.at("fleet");
        return fleet_state.at("done") == true && fleet_state.at("instances").size() == 2;
      },
      seconds(10)));
  INFO(fleet_state.dump());
  CHECK(fleet_state.at("instances").at(0).at("map_version") ==
        fleet_state.at("instances").at(1).at("map_version"));
  CHECK(NodeVia(fleet->second.spec.rw_port, 100005) == "shard_3/n1");
  CHECK(NodeVia(fleet->stack->rw_port(), 103995) == "shard_3/n1");
}

TEST_CASE("with a tokens file: no or unknown token is 401, a read-only token writing is 403") {
  Fleet* fleet = SharedFleet();
  const std::string b = fleet->second_controller->url();
  const std::string map = "/api/v1/routing-map";
  const std::string body = R"({"partition_key_range": "9990-9999", "target_backend": "shard_3"})";
  const uint64_t before = RulesVersion(fleet->stack->controller()->url());

  ApiReply none = Send("POST", b, map, body);
  CHECK(none.status == 401);
  CHECK(none.json.at("error").at("code") == "unauthenticated");
  CHECK(none.headers.at("www-authenticate").starts_with("Bearer"));
  ApiReply wrong = Send("POST", b, map, body, {Bearer("not-a-token-0123456789")});
  CHECK(wrong.status == 401);
  ApiReply basic = Send("POST", b, map, body, {"Authorization: Basic YWxpY2U6eA=="});
  CHECK(basic.status == 401);
  ApiReply read_only = Send("POST", b, map, body, {Bearer(kRoToken)});
  CHECK(read_only.status == 403);
  CHECK(read_only.json.at("error").at("code") == "forbidden");
  CHECK(Get(b, map).status == 401);
  CHECK(Get(b, map, {Bearer(kRoToken)}).status == 200);
  CHECK(Get(b, "/metrics").status == 200);  // Prometheus scrapes without a token
  CHECK(RulesVersion(fleet->stack->controller()->url()) == before);

  ApiReply ok = Send("POST", b, map + "?wait=applied", body, {Bearer(kRwToken)});
  REQUIRE_MESSAGE(ok.status == 201, ok.text);
  CHECK(ok.json.at("rule").at("created_by") == "alice");
  ApiReply versions = Get(b, map + "/versions?limit=1", {Bearer(kRoToken)});
  CHECK(versions.json.at("versions").at(0).at("who") == "alice");
  std::string log = fleet->second_controller->log_path().string();
  Result<harness::CommandResult> grep = harness::RunCommand({"grep", "-c", "token-0123", log});
  REQUIRE(grep.ok());
  CHECK(harness::FirstLine(grep->out) == "0");  // tokens never reach the log
}

TEST_CASE("wait=applied names the HAProxy that did not take the change in time; the change stays") {
  Fleet* fleet = SharedFleet();
  const std::string a = fleet->stack->controller()->url();
  const uint64_t before = RulesVersion(a);
  const pid_t frozen = fleet->second.process->pid();
  REQUIRE(::kill(frozen, SIGSTOP) == 0);
  ApiReply r = Send("POST", a, "/api/v1/routing-map?wait=applied&timeout=2s",
                    R"({"partition_key_range": "9000-9009", "target_backend": "shard_3"})");
  REQUIRE(::kill(frozen, SIGCONT) == 0);
  REQUIRE_MESSAGE(r.status == 202, r.text);
  const nlohmann::json& applied = r.json.at("applied");
  CHECK(applied.at("done") == false);
  REQUIRE(applied.at("pending").size() == 1);
  CHECK(applied.at("pending").at(0).at("haproxy") == fleet->second.spec.socket_path);
  CHECK(applied.at("instances").size() == 2);
  CHECK(RulesVersion(a) == before + 1);  // made, though not everywhere yet
  CHECK(NodeVia(fleet->stack->rw_port(), 9005) == "shard_3/n1");
  // Once that HAProxy runs again its controller catches up by itself.
  CHECK(WaitNodeVia(fleet->second.spec.rw_port, 9005, "shard_3/n1", seconds(10)) == "shard_3/n1");
}

TEST_CASE("with Consul hung a change is a 503 naming Consul, and nothing is written") {
  Fleet* fleet = SharedFleet();
  const std::string a = fleet->stack->controller()->url();
  const uint64_t before = RulesVersion(a);
  const pid_t consul = fleet->stack->consul()->pid();
  REQUIRE(::kill(consul, SIGSTOP) == 0);
  ApiReply r = Send("POST", a, "/api/v1/routing-map",
                    R"({"partition_key_range": "9100-9109", "target_backend": "shard_3"})");
  REQUIRE(::kill(consul, SIGCONT) == 0);
  CHECK(r.status == 503);
  REQUIRE_MESSAGE(r.json.is_object(), r.text);
  CHECK(r.json.at("error").at("code") == "consul_unavailable");
  CHECK(r.json.at("error").at("message").get<std::string>().find("Consul") != std::string::npos);
  CHECK(RulesVersion(a) == before);
  CHECK(NodeVia(fleet->stack->rw_port(), 9105) == "shard_2/n1");
}

TEST_CASE("a controller listening beyond loopback without a tokens file refuses to start") {
  Fleet* fleet = SharedFleet();
  harness::ControllerProcessOptions co = fleet->stack->controller()->options();
  co.controller_id = "exposed";
  co.listen_port = 0;
  co.extra_listen_ports.clear();
  co.extra_args.push_back("--listen=0.0.0.0:0");
  co.log_path = fleet->stack->dir() / "exposed.log";
  auto started = harness::ControllerProcess::Start(co, seconds(5));
  REQUIRE_FALSE(started.ok());
  CHECK(started.status().message().find("admin_tokens_file") != std::string::npos);
}

}  // namespace
}  // namespace shardgate::integration
