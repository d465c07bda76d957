// The local stack with its control plane: every node's agent passing in the Consul dev server
// with the node's role, HAProxy's servers and range map coming only from the controller, the
// addresses in stack.env, and nothing left running after teardown.
#include <doctest/doctest.h>

#include <sys/types.h>

#include <map>
#include <vector>

#include "common/file.h"
#include "consul/client.h"
#include "consul/curl_transport.h"
#include "tests/harness/local_http.h"
#include "tests/harness/process.h"
#include "tests/harness/psql_client.h"
#include "tests/harness/stack.h"

namespace shardgate::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::string kCluster = "devtest";

StackOptions ControlPlaneOptions() {
  StackOptions o;
  o.shards = {"shard_1", "shard_2"};
  o.replicas = 1;
  o.segments = {{0, 4999, "shard_1"}, {5000, 9999, "shard_2"}};
  o.consul = true;
  o.agents = true;
  o.cluster = kCluster;
  o.agent_args = {"--interval=250ms"};
  o.agents_passing_timeout = seconds(20);
  o.controller = true;
  o.tls = true;  // as `make run`
  return o;
}

// Every process of the stack: postmasters and their children, HAProxy, Consul, the agents, the
// controller.
std::vector<pid_t> StackPids(Stack& s) {
  std::vector<pid_t> pids = {s.haproxy()->pid(), s.consul()->pid(), s.controller()->pid()};
  for (PgNode* n : s.Nodes()) {
    pids.push_back(n->pid());
    for (pid_t child : ChildPids(n->pid())) pids.push_back(child);
    pids.push_back(s.Agent(*n)->pid());
  }
  return pids;
}

std::vector<pid_t> LivePids(const std::vector<pid_t>& pids) {
  std::vector<pid_t> alive;
  for (pid_t pid : pids) {
    if (PidAlive(pid)) alive.push_back(pid);
  }
  return alive;
}

// What a user sees with `curl /v1/health/service/<service>?passing`, by service ID.
std::map<std::string, consul::ServiceEntry> PassingInstances(const std::string& address,
                                                             const std::string& service) {
  consul::ClientConfig config;
  config.address = "http://" + address;
  auto transport = consul::CurlTransport::Create({config.address, "", milliseconds(500)});
  REQUIRE(transport.ok());
  consul::Client client(**transport, config);
  auto entries = client.HealthService(service, /*passing_only=*/true);
  REQUIRE_MESSAGE(entries.ok(), entries.status().ToString());
  std::map<std::string, consul::ServiceEntry> by_id;
  for (const consul::ServiceEntry& e : entries->value) by_id[e.service.id] = e;
  return by_id;
}

// `show cluster_name` through HAProxy's frontend on `port` with shard key `key`.
// `ca`: connect to localhost with sslmode=verify-full against that CA.
std::string RoutedTo(int port, int key, const std::string& ca = "") {
  PsqlArgs args;
  args.port = port;
  if (!ca.empty()) {
    args.host = "localhost";
    args.sslmode = "verify-full";
    args.env = {{"PGSSLROOTCERT", ca}};
  }
  args.options = "-c shardgate.key=" + std::to_string(key);
  args.sql = "show cluster_name";
  auto run = Psql(args);
  REQUIRE_MESSAGE(run.ok(), run.status().ToString());
  INFO("psql stderr: " << run->err);
  CHECK(run->exit_code == 0);
  return FirstLine(run->out);
}

TEST_CASE(
    "a stack with Consul, agents and the controller is ready only when every node passes and the controller routes, and stops all of it") {
  std::vector<pid_t> pids;
  std::filesystem::path dir;
  std::filesystem::path env_path = std::filesystem::temp_directory_path() /
                                   "shardgate-devstack-test.env";
  {
    auto stack = Stack::Start(ControlPlaneOptions());
    REQUIRE_MESSAGE(stack.ok(), stack.status().ToString());
    Stack& s = **stack;
    dir = s.dir();
    pids = StackPids(s);
    CHECK(LivePids(pids).size() == pids.size());
    CHECK(s.consul_service() == "shardgate-" + kCluster);

    // Given Start() returned, then every node is already passing (no waiting here).
    auto passing = PassingInstances(s.consul()->address(), s.consul_service());
    CHECK(passing.size() == 4);
    for (PgNode* n : s.Nodes()) {
      std::string id = s.Agent(*n)->service_id();
      INFO(n->cluster_name() << " as " << id);
      REQUIRE(passing.count(id) == 1);
      const consul::ServiceInstance& svc = passing[id].service;
      std::string role = n->name() == "n1" ? "primary" : "replica";
      CHECK(svc.meta.at("role") == role);
      CHECK(n->cluster_name() == svc.meta.at("shard") + "/" + svc.meta.at("node"));
      CHECK(svc.port == n->port());
      auto role_metric = s.Agent(*n)->Metric("shardgate_agent_role{role=\"" + role + "\"}");
      REQUIRE_MESSAGE(role_metric.ok(), role_metric.status().ToString());
      CHECK(*role_metric == 1);
    }

    // Given HAProxy started with no servers and an empty map, then the controller's servers and
    // the map it pushed from the seeded rules route each key to its shard.
    ControllerProcess* controller = s.controller();
    REQUIRE(controller != nullptr);
    CHECK(HttpGetStatus(controller->port(), "/healthz", seconds(2)).value() == 200);
    CHECK(HttpGetStatus(controller->port(), "/readyz", seconds(2)).value() == 200);
    auto config = ReadFile(s.haproxy()->config_path());
    REQUIRE(config.ok());
    CHECK(config->find("server n1 ") == std::string::npos);
    CHECK(RoutedTo(s.rw_port(), 42) == "shard_1/n1");
    CHECK(RoutedTo(s.ro_port(), 7000) == "shard_2/n2");
    // TLS next to the controller's servers and maps: the hand-off backends are not its own.
    CHECK(RoutedTo(s.rw_port(), 42, s.tls_ca().string()) == "shard_1/n1");
    CHECK(RoutedTo(s.ro_port(), 7000, s.tls_ca().string()) == "shard_2/n2");

    REQUIRE(s.WriteEnvFile(env_path).ok());
    Result<std::string> env_file = ReadFile(env_path);
    REQUIRE_MESSAGE(env_file.ok(), env_file.status().ToString());
    const std::string& env = *env_file;
    const std::string addr = "'" + s.consul()->address() + "'";
    CHECK(env.find("export SHARDGATE_CONSUL_ADDR=" + addr + "\n") != std::string::npos);
    CHECK(env.find("export CONSUL_HTTP_ADDR=" + addr + "\n") != std::string::npos);
    CHECK(env.find("export SHARDGATE_CONSUL_SERVICE='shardgate-devtest'\n") != std::string::npos);
    CHECK(env.find("export SHARDGATE_TLS_CA='" + s.tls_ca().string() + "'\n") != std::string::npos);
    AgentProcess* replica_agent = s.Agent("shard_2", "n2");
    REQUIRE(replica_agent != nullptr);
    CHECK(env.find("shard_2/n2:" + std::to_string(replica_agent->metrics_port())) !=
          std::string::npos);
    CHECK(env.find("export SHARDGATE_AGENT_METRICS='shard_1/n1:") != std::string::npos);
    CHECK(env.find("export SHARDGATE_ADMIN_URL='" + controller->url() + "'\n") !=
          std::string::npos);
    CHECK(env.find("export SHARDGATE_CONTROLLER_LOG='" + controller->log_path().string() + "'\n") !=
          std::string::npos);
  }
  std::filesystem::remove(env_path);
  CHECK(LivePids(pids).empty());
  CHECK_FALSE(std::filesystem::exists(dir));
}

TEST_CASE("agents without Consul are refused before anything starts") {
  StackOptions o;
  o.agents = true;
  auto stack = Stack::Start(o);
  REQUIRE_FALSE(stack.ok());
  CHECK(stack.status().message() == "StackOptions.agents needs StackOptions.consul");
}

TEST_CASE("a controller without Consul is refused before anything starts") {
  StackOptions o;
  o.controller = true;
  auto stack = Stack::Start(o);
  REQUIRE_FALSE(stack.ok());
  CHECK(stack.status().message() ==
        "StackOptions.controller needs StackOptions.consul and .haproxy");
}

}  // namespace
}  // namespace shardgate::harness
