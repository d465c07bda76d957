// shardgate-agent end to end: real PostgreSQL (primary + streaming replica), the Consul dev
// server and real agent processes; assertions on what Consul holds and what /metrics shows.
#include <doctest/doctest.h>
#include <signal.h>

#include <thread>

#include "consul/client.h"
#include "consul/curl_transport.h"
#include "tests/harness/agent_process.h"
#include "tests/harness/consul_dev_process.h"
#include "tests/harness/eventually.h"
#include "tests/harness/pg_node.h"
#include "tests/harness/process.h"
#include "tests/harness/temp_dir.h"

namespace shardgate::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kInterval{250};
constexpr int kFall = 3;
constexpr int kRise = 2;
const std::string kService = "shardgate-orders";

// What Consul says about one service instance.
struct Seen {
  bool registered = false;
  consul::CheckStatus status = consul::CheckStatus::kCritical;
  consul::ServiceInstance service;
  std::string output;
};

using harness::Eventually;

milliseconds Since(Clock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - t);
}

// PostgreSQL nodes, the dev Consul, one agent, and a client to read Consul with.
struct Stack {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<PgNode> primary;
  std::unique_ptr<PgNode> replica;
  std::unique_ptr<ConsulDev> consul;
  std::unique_ptr<consul::CurlTransport> transport;
  std::unique_ptr<consul::Client> client;
  std::unique_ptr<AgentProcess> agent;

  explicit Stack(bool with_replica) {
    auto d = TempDir::Create("shardgate-agent-test");
    REQUIRE_MESSAGE(d.ok(), d.status().ToString());
    dir = std::move(d).value();
    auto p = PgNode::StartPrimary({"n1", "shard_1/n1", dir->path(), 0});
    REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    primary = std::move(p).value();
    if (with_replica) {
      auto r = PgNode::StartReplica(*primary, {"n2", "shard_1/n2", dir->path(), 0});
      REQUIRE_MESSAGE(r.ok(), r.status().ToString());
      replica = std::move(r).value();
    }
    auto c = ConsulDev::Start({.log_path = dir->path() / "consul.log"});
    REQUIRE_MESSAGE(c.ok(), c.status().ToString());
    consul = std::move(c).value();
    consul::ClientConfig config;
    config.address = "http://" + consul->address();
    config.request_timeout = seconds(2);
    auto t = consul::CurlTransport::Create({config.address, "", milliseconds(500)});
    REQUIRE(t.ok());
    transport = std::move(t).value();
    client = std::make_unique<consul::Client>(*transport, config);
  }

  // Starts an agent for `node` with short intervals and TTLs, plus `extra` flags.
  void StartAgent(PgNode& node, std::vector<std::string> extra = {}) {
    AgentProcessOptions o;
    o.node = node.name();
    o.pg_port = node.port();
    o.consul_address = consul->address();
    o.log_path = dir->path() / ("agent-" + node.name() + ".log");
    o.extra_args = {"--interval=250ms", "--fall=3",          "--rise=2",
                    "--ttl=2s",         "--heartbeat=500ms", "--backoff-max=1s"};
    o.extra_args.insert(o.extra_args.end(), extra.begin(), extra.end());
    auto a = AgentProcess::Start(o);
    REQUIRE_MESSAGE(a.ok(), a.status().ToString());
    agent = std::move(a).value();
  }

  Seen Look() {
    Seen seen;
    auto entries = client->HealthService(kService, /*passing_only=*/false);
    if (!entries.ok()) return seen;
    for (const auto& e : entries->value) {
      if (e.service.id != agent->service_id()) continue;
      seen.registered = true;
      seen.service = e.service;
      for (const auto& c : e.checks) {
        if (c.check_id == agent->check_id()) {
          seen.status = c.status;
          seen.output = c.output;
        }
      }
    }
    return seen;
  }
  bool StatusIs(consul::CheckStatus want) {
    Seen s = Look();
    return s.registered && s.status == want;
  }
};

TEST_CASE(
    "a replica stopped immediately turns critical within fall x interval plus one interval, and passing again after rise") {
  Stack stack(/*with_replica=*/true);
  stack.StartAgent(*stack.replica);
  REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kPassing); }, seconds(10)));
  CHECK(stack.Look().service.meta["role"] == "replica");

  auto stopped = Clock::now();
  REQUIRE(stack.replica->Stop(PgStopMode::kImmediate).ok());
  REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kCritical); }, seconds(5)));
  milliseconds detect = Since(stopped);
  MESSAGE("stop -> critical in Consul: " << detect.count() << " ms");
  // fall x interval + one interval, plus what a Consul write and our 20 ms polling add.
  CHECK(detect <= kInterval * (kFall + 1) + milliseconds(250));
  CHECK(stack.Look().output.starts_with("down"));

  REQUIRE(stack.replica->Start().ok());
  auto started = Clock::now();
  REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kPassing); }, seconds(10)));
  MESSAGE("restarted node -> passing: " << Since(started).count() << " ms");
  CHECK(Since(started) <= kInterval * (kRise + 1) + seconds(1));
}

TEST_CASE("a frozen replica turns critical by the probe deadline and the agent keeps probing") {
  Stack stack(/*with_replica=*/true);
  stack.StartAgent(*stack.replica);
  REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kPassing); }, seconds(10)));

  auto frozen = Clock::now();
  REQUIRE(stack.replica->Freeze().ok());
  REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kCritical); }, seconds(5)));
  milliseconds detect = Since(frozen);
  MESSAGE("freeze -> critical in Consul: " << detect.count() << " ms");
  CHECK(detect <= kInterval * (kFall + 1) + milliseconds(250));
  CHECK(stack.Look().output.starts_with("hung"));
  // Not hung itself: rounds go on, each failing at its deadline.
  auto before = stack.agent->Metric("shardgate_agent_probes_total");
  REQUIRE(before.ok());
  CHECK(Eventually(
      [&] {
        auto now = stack.agent->Metric("shardgate_agent_probes_total");
        return now.ok() && *now >= *before + 4;
      },
      seconds(3)));
  REQUIRE(stack.replica->Thaw().ok());
  CHECK(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kPassing); }, seconds(5)));
}

TEST_CASE(
    "with replay paused while the primary writes, the lag grows and the replica turns warning with a lower weight") {
  Stack stack(/*with_replica=*/true);
  stack.StartAgent(*stack.replica, {"--lag-warn-bytes=1048576"});
  REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kPassing); }, seconds(10)));
  CHECK(stack.Look().service.weights.passing == 256);

  REQUIRE(stack.replica->Query("SELECT pg_wal_replay_pause()").ok());
  REQUIRE(stack.primary->Query("CREATE TABLE filler (x int)").ok());
  bool warned = false;
  for (int i = 0; i < 20 && !warned; ++i) {
    REQUIRE(stack.primary->Query("INSERT INTO filler SELECT generate_series(1, 20000)").ok());
    warned = Eventually([&] { return stack.StatusIs(consul::CheckStatus::kWarning); },
                        milliseconds(300));
  }
  REQUIRE(warned);
  Seen s = stack.Look();
  MESSAGE("paused replica: " << s.output);
  CHECK(s.output.starts_with("lagging"));
  CHECK(s.service.weights.warning < 256);
  auto lag = stack.agent->Metric("shardgate_agent_lag_bytes");
  REQUIRE(lag.ok());
  CHECK(*lag >= 1048576);

  REQUIRE(stack.replica->Query("SELECT pg_wal_replay_resume()").ok());
  CHECK(Eventually(
      [&] {
        return stack.StatusIs(consul::CheckStatus::kPassing) &&
               stack.Look().service.weights.passing == 256;
      },
      seconds(5)));
}

TEST_CASE("a promoted replica is published as primary on a higher timeline") {
  Stack stack(/*with_replica=*/true);
  stack.StartAgent(*stack.replica);
  REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kPassing); }, seconds(10)));
  std::string before = stack.Look().service.meta["timeline"];

  REQUIRE(stack.replica->Promote().ok());
  REQUIRE(Eventually([&] { return stack.Look().service.meta["role"] == "primary"; }, seconds(5)));
  Seen s = stack.Look();
  CHECK(std::stoi(s.service.meta["timeline"]) > std::stoi(before));
  CHECK(std::find(s.service.tags.begin(), s.service.tags.end(), "role:primary") !=
        s.service.tags.end());
  CHECK(s.status == consul::CheckStatus::kPassing);
}

TEST_CASE("an agent killed with SIGKILL lets its TTL expire and the node turns critical") {
  Stack stack(/*with_replica=*/false);
  stack.StartAgent(*stack.primary);
  REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kPassing); }, seconds(10)));
  auto killed = Clock::now();
  REQUIRE(stack.agent->Signal(SIGKILL).ok());
  REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kCritical); }, seconds(6)));
  MESSAGE("SIGKILL -> critical by TTL expiry: " << Since(killed).count() << " ms (ttl 2 s)");
  CHECK(stack.Look().output.find("TTL expired") != std::string::npos);
}

TEST_CASE("SIGTERM marks the node critical within a second, or deregisters it when so configured") {
  Stack stack(/*with_replica=*/false);
  SUBCASE("critical") {
    stack.StartAgent(*stack.primary);
    REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kPassing); }, seconds(10)));
    auto termed = Clock::now();
    REQUIRE(stack.agent->Signal(SIGTERM).ok());
    REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kCritical); }, seconds(2)));
    CHECK(Since(termed) <= seconds(1));
    auto code = stack.agent->Wait(seconds(2));
    REQUIRE(code.ok());
    CHECK(*code == 0);
  }
  SUBCASE("deregister") {
    stack.StartAgent(*stack.primary, {"--on-exit=deregister"});
    REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kPassing); }, seconds(10)));
    auto termed = Clock::now();
    REQUIRE(stack.agent->Signal(SIGTERM).ok());
    REQUIRE(Eventually([&] { return !stack.Look().registered; }, seconds(2)));
    CHECK(Since(termed) <= seconds(1));
  }
}

TEST_CASE(
    "with Consul down for 20 s the agent keeps probing and publishes again when Consul returns") {
  Stack stack(/*with_replica=*/false);
  stack.StartAgent(*stack.primary);
  REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kPassing); }, seconds(10)));
  REQUIRE(stack.consul->Stop().ok());
  auto before = stack.agent->Metric("shardgate_agent_probes_total");
  REQUIRE(before.ok());
  std::this_thread::sleep_for(seconds(20));  // the scenario is "down for 20 s"
  auto after = stack.agent->Metric("shardgate_agent_probes_total");
  REQUIRE(after.ok());
  MESSAGE("probes while Consul was down: " << (*after - *before));
  CHECK(*after - *before >= 60);  // 80 rounds of 250 ms, minus scheduling slack
  auto errors = stack.agent->Metric("shardgate_agent_publish_errors_total");
  REQUIRE(errors.ok());
  CHECK(*errors >= 1);
  CHECK(*stack.agent->Metric("shardgate_agent_consul_up") == 0);

  // The dev server comes back empty (no snapshot): the agent must register from scratch.
  REQUIRE(stack.consul->Restart().ok());
  auto back = Clock::now();
  REQUIRE(Eventually([&] { return stack.StatusIs(consul::CheckStatus::kPassing); }, seconds(5)));
  MESSAGE("Consul back -> registered and passing: " << Since(back).count() << " ms");
  CHECK(*stack.agent->Metric("shardgate_agent_consul_up") == 1);
}

TEST_CASE("a wrong config makes the agent exit 2 with a message naming the key") {
  auto bin = AgentBinary();
  REQUIRE(bin.ok());
  auto run = RunCommand({bin->string(), "--cluster=orders", "--shard=s1", "--node=n1",
                         "--pg-conninfo=host=127.0.0.1", "--interval=10ms"},
                        {}, seconds(10));
  REQUIRE(run.ok());
  CHECK(run->exit_code == 2);
  CHECK(run->err == "invalid config: interval: must be at least 100ms\n");
  auto missing = RunCommand({bin->string(), "--cluster=orders"}, {}, seconds(10));
  REQUIRE(missing.ok());
  CHECK(missing->exit_code == 2);
  CHECK(missing->err == "invalid config: shard: required\n");
}

}  // namespace
}  // namespace shardgate::harness
