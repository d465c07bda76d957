// shardgate-agent's two operator-facing inputs end to end: a real PgBouncer's client queue
// (SHOW POOLS on its admin console) and Consul maintenance mode on the dev server.
#include <doctest/doctest.h>

#include <charconv>
#include <sstream>
#include <thread>

#include "consul/client.h"
#include "consul/curl_transport.h"
#include "tests/harness/agent_process.h"
#include "tests/harness/consul_dev_process.h"
#include "tests/harness/eventually.h"
#include "tests/harness/pg_node.h"
#include "tests/harness/pgbouncer_process.h"
#include "tests/harness/process.h"
#include "tests/harness/psql_client.h"
#include "tests/harness/temp_dir.h"

namespace shardgate::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kService = "shardgate-orders";
constexpr int kQueuedClients = 3;
// The statement that holds the pool's only server connection until it is cancelled.
const std::string kHoldSql = "select pg_sleep(30) /* shardgate pool holder */";

using harness::Eventually;

// The agent's TTL check as Consul holds it, with the registration's weights.
struct Published {
  bool found = false;
  consul::CheckStatus status = consul::CheckStatus::kCritical;
  std::string output;
  int passing_weight = -1;
  int warning_weight = -1;
};

// A primary, the dev Consul and one agent; PgBouncer in front of the primary on request.
struct PoolStack {
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<PgNode> primary;
  std::unique_ptr<PgBouncerProcess> bouncer;
  std::unique_ptr<ConsulDev> consul;
  std::unique_ptr<consul::CurlTransport> transport;
  std::unique_ptr<consul::Client> client;
  std::unique_ptr<AgentProcess> agent;

  explicit PoolStack(bool with_pgbouncer) {
    auto d = TempDir::Create("shardgate-agent-pool-test");
    REQUIRE_MESSAGE(d.ok(), d.status().ToString());
    dir = std::move(d).value();
    auto p = PgNode::StartPrimary({"n1", "shard_1/n1", dir->path(), 0});
    REQUIRE_MESSAGE(p.ok(), p.status().ToString());
    primary = std::move(p).value();
    if (with_pgbouncer) {
      auto b = PgBouncerProcess::Start(
          {.dir = dir->path() / "pgbouncer", .pg_port = primary->port()});
      REQUIRE_MESSAGE(b.ok(), b.status().ToString());
      bouncer = std::move(b).value();
    }
    auto c = ConsulDev::Start({.log_path = dir->path() / "consul.log"});
    REQUIRE_MESSAGE(c.ok(), c.status().ToString());
    consul = std::move(c).value();
    auto t = consul::CurlTransport::Create({"http://" + consul->address(), "", milliseconds(500)});
    REQUIRE(t.ok());
    transport = std::move(t).value();
    consul::ClientConfig config;
    config.address = "http://" + consul->address();
    config.request_timeout = seconds(2);
    client = std::make_unique<consul::Client>(*transport, config);
  }

  void StartAgent(std::vector<std::string> extra) {
    AgentProcessOptions o;
    o.node = primary->name();
    o.pg_port = primary->port();
    o.consul_address = consul->address();
    o.log_path = dir->path() / "agent.log";
    o.extra_args = {"--interval=250ms", "--fall=3", "--rise=2", "--ttl=2s", "--heartbeat=500ms"};
    o.extra_args.insert(o.extra_args.end(), extra.begin(), extra.end());
    auto a = AgentProcess::Start(o);
    REQUIRE_MESSAGE(a.ok(), a.status().ToString());
    agent = std::move(a).value();
  }

  Published Look() {
    Published seen;
    auto entries = client->HealthService(kService, /*passing_only=*/false);
    if (!entries.ok()) return seen;
    for (const auto& e : entries->value) {
      if (e.service.id != agent->service_id()) continue;
      for (const auto& c : e.checks) {
        if (c.check_id != agent->check_id()) continue;
        seen = {true, c.status, c.output, e.service.weights.passing, e.service.weights.warning};
      }
    }
    return seen;
  }

  // Consul and /metrics agree on the status, and the check output starts with `reason`.
  bool Shows(consul::CheckStatus status, const std::string& metric_status,
             const std::string& reason) {
    Published p = Look();
    auto metric = agent->Metric("shardgate_agent_status{status=\"" + metric_status + "\"}");
    return p.found && p.status == status && p.output.starts_with(reason + " ") && metric.ok() &&
           *metric == 1;
  }
  bool PassingAtFullWeight() {
    return Shows(consul::CheckStatus::kPassing, "passing", "ok") && Look().passing_weight == 256;
  }

  // psql through PgBouncer in the background; the Process destructor stops it.
  std::unique_ptr<Process> SpawnClient(const std::string& sql, const std::string& log) {
    ProcessOptions p;
    p.argv = {
        "psql", "-X",       "-q", "-h",       "127.0.0.1", "-p", std::to_string(bouncer->port()),
        "-U",   "postgres", "-d", "postgres", "-c",        sql};
    p.env = {{"PGCONNECT_TIMEOUT", "5"}};
    p.log_path = dir->path() / log;
    auto spawned = Process::Spawn(p);
    REQUIRE_MESSAGE(spawned.ok(), spawned.status().ToString());
    return std::move(spawned).value();
  }

  // cl_waiting of the pooled database, as PgBouncer itself reports it (-1 when unreadable).
  int ClientsWaiting() {
    auto pools = bouncer->Admin("SHOW POOLS");
    if (!pools.ok()) return -1;
    // Row layout (1.18): database|user|cl_active|cl_waiting|...
    std::istringstream lines(*pools);
    for (std::string line; std::getline(lines, line);) {
      if (!line.starts_with("postgres|")) continue;
      std::vector<std::string> cells;
      std::istringstream row(line);
      for (std::string cell; std::getline(row, cell, '|');) cells.push_back(cell);
      int waiting = -1;
      if (cells.size() > 3)
        std::from_chars(cells[3].data(), cells[3].data() + cells[3].size(), waiting);
      return waiting;
    }
    return -1;
  }
};

TEST_CASE(
    "clients queued in PgBouncer turn the node warning with a lower weight, and passing at full weight once the queue drains") {
  PoolStack stack(/*with_pgbouncer=*/true);
  auto version = stack.bouncer->Admin("SHOW VERSION");
  REQUIRE(version.ok());
  MESSAGE("pgbouncer: " << FirstLine(*version));
  stack.StartAgent({"--pgbouncer-conninfo=" + stack.bouncer->AdminConninfo(),
                    "--pgbouncer-database=postgres", "--pool-waiting-warn=2",
                    "--pool-maxwait-warn=30s"});
  REQUIRE(Eventually([&] { return stack.PassingAtFullWeight(); }, seconds(10)));

  // Given the pool's only server connection busy, and clients queued behind it.
  auto holder = stack.SpawnClient(kHoldSql, "holder.log");
  REQUIRE(
      stack.primary
          ->WaitForValue("select count(*) from pg_stat_activity where query = '" + kHoldSql + "'",
                         "1", seconds(10))
          .ok());
  std::vector<std::unique_ptr<Process>> queued;
  for (int i = 0; i < kQueuedClients; ++i) {
    queued.push_back(stack.SpawnClient("select 1", "queued-" + std::to_string(i) + ".log"));
  }
  REQUIRE(Eventually([&] { return stack.ClientsWaiting() == kQueuedClients; }, seconds(10)));

  // Then the agent reads the queue and publishes warning with a lower weight.
  auto queued_at = std::chrono::steady_clock::now();
  REQUIRE(Eventually(
      [&] { return stack.Shows(consul::CheckStatus::kWarning, "warning", "pool_queue"); },
      seconds(5)));
  MESSAGE("queue -> warning in Consul: "
          << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - queued_at)
                 .count()
          << " ms");
  Published warned = stack.Look();
  MESSAGE("queued: " << warned.output << " weights " << warned.passing_weight << "/"
                     << warned.warning_weight);
  CHECK(warned.warning_weight < 256);
  auto weight = stack.agent->Metric("shardgate_agent_weight");
  REQUIRE(weight.ok());
  CHECK(*weight == warned.warning_weight);

  // When the holder's statement is cancelled, the queued clients run and leave.
  REQUIRE(stack.primary
              ->Query("select count(pg_cancel_backend(pid)) from pg_stat_activity where query = '" +
                      kHoldSql + "'")
              .ok());
  for (auto& client : queued) {
    auto code = client->Wait(seconds(10));
    REQUIRE(code.ok());
    CHECK(*code == 0);
  }
  CHECK(stack.ClientsWaiting() == 0);
  REQUIRE(Eventually([&] { return stack.PassingAtFullWeight(); }, seconds(5)));
  CHECK(*stack.agent->Metric("shardgate_agent_weight") == 256);
}

TEST_CASE(
    "Consul maintenance mode drains the node without a fight, and it resumes when maintenance ends") {
  PoolStack stack(/*with_pgbouncer=*/false);
  stack.StartAgent({});
  REQUIRE(Eventually([&] { return stack.PassingAtFullWeight(); }, seconds(10)));
  const std::string id = stack.agent->service_id();

  REQUIRE(stack.client->EnableServiceMaintenance(id, "disk swap").ok());
  auto enabled = std::chrono::steady_clock::now();
  REQUIRE(Eventually(
      [&] {
        auto draining = stack.agent->Metric("shardgate_agent_draining");
        auto reply = stack.agent->AgentCheck();
        return draining.ok() && *draining == 1 && reply.ok() &&
               reply->starts_with("drain #draining") &&
               stack.Shows(consul::CheckStatus::kWarning, "warning", "draining");
      },
      seconds(5)));
  MESSAGE("maintenance -> draining: "
          << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - enabled)
                 .count()
          << " ms");
  CHECK(stack.Look().warning_weight == 0);

  // No fight: over several more heartbeats the agent neither re-registers nor lifts
  // maintenance, and Consul keeps the maintenance check.
  auto registrations = stack.agent->Metric("shardgate_agent_consul_registrations_total");
  auto updates = stack.agent->Metric("shardgate_agent_consul_check_updates_total");
  REQUIRE(registrations.ok());
  REQUIRE(updates.ok());
  REQUIRE(Eventually(
      [&] {
        auto now = stack.agent->Metric("shardgate_agent_consul_check_updates_total");
        return now.ok() && *now >= *updates + 3;
      },
      seconds(5)));
  CHECK(*stack.agent->Metric("shardgate_agent_consul_registrations_total") == *registrations);
  auto service = stack.client->AgentService(id);
  REQUIRE(service.ok());
  REQUIRE(service->has_value());
  CHECK((*service)->in_maintenance);
  CHECK((*service)->maintenance_reason == "disk swap");
  CHECK(stack.Shows(consul::CheckStatus::kWarning, "warning", "draining"));

  REQUIRE(stack.client->DisableServiceMaintenance(id).ok());
  auto disabled = std::chrono::steady_clock::now();
  REQUIRE(Eventually(
      [&] {
        auto reply = stack.agent->AgentCheck();
        return stack.PassingAtFullWeight() && reply.ok() && reply->starts_with("ready up 100%");
      },
      seconds(5)));
  MESSAGE("maintenance off -> passing: "
          << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - disabled)
                 .count()
          << " ms");
  CHECK(*stack.agent->Metric("shardgate_agent_draining") == 0);
}

}  // namespace
}  // namespace shardgate::harness
