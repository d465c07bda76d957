// Stack's control plane: the Consul dev server, the agents, the controller and the routing rules
// it reads from Consul KV, and the environment variables that describe them.
#include <chrono>

#include "consul/client.h"
#include "consul/curl_transport.h"
#include "controller/kv_layout.h"
#include "controller/rule_store.h"
#include "haproxy/runtime_client.h"
#include "tests/harness/consul_health.h"
#include "tests/harness/eventually.h"
#include "tests/harness/ports.h"
#include "tests/harness/stack.h"

namespace shardgate::harness {
namespace {

constexpr std::chrono::seconds kConsulRequestTimeout{5};

// The dev Consul has no ACLs: never hand it a token from the caller's environment.
EnvVars NoConsulToken() { return {{"CONSUL_HTTP_TOKEN", ""}, {"CONSUL_HTTP_TOKEN_FILE", ""}}; }

}  // namespace

Status Stack::StartConsul() {
  ASSIGN_OR_RETURN(int port, PortOrFree(options_.consul_port));
  ConsulDevOptions co;
  co.port = port;
  co.log_path = dir() / "consul.log";
  if (options_.consul_snapshot) co.snapshot = dir() / "consul.snapshot";
  ASSIGN_OR_RETURN(std::unique_ptr<ConsulDev> consul, ConsulDev::Start(std::move(co)));
  consul_ = &Adopt(std::move(consul));
  return Status::Ok();
}

// Starts every agent, then waits for all of them at once (each needs `rise` probes to pass).
Status Stack::StartAgents() {
  std::vector<ExpectedInstance> expected;
  for (const auto& [shard, nodes] : shards_) {
    for (PgNode* node : nodes) {
      AgentProcessOptions ao;
      ao.cluster = options_.cluster;
      ao.shard = shard;
      ao.node = node->name();
      ao.pg_port = node->port();
      ao.consul_address = consul_->address();
      ao.extra_args = options_.agent_args;
      ao.log_path = node->dir() / "agent.log";
      ao.env = NoConsulToken();
      ASSIGN_OR_RETURN(std::unique_ptr<AgentProcess> agent,
                       Annotate(AgentProcess::Start(std::move(ao)), node->cluster_name()));
      AgentProcess& adopted = Adopt(std::move(agent));
      agents_.emplace_back(node, &adopted);
      expected.push_back({node->cluster_name(), adopted.service_id()});
    }
  }
  Status st = WaitInstancesPassing(consul_->address(), consul_service(), expected,
                                   options_.agents_passing_timeout);
  if (st.ok()) return st;
  std::string exited = ExitedComponent();
  if (!exited.empty()) return Unavailable(exited + " exited; " + st.message());
  return Timeout("agents not ready: " + st.message());
}

// Seeds the rules from `segments` (so the map comes from Consul, as in production), starts the
// controller on this HAProxy, and waits until it is ready and HAProxy runs its map.
Status Stack::StartController() {
  RETURN_IF_ERROR(model::ValidateSegments(options_.segments));
  RETURN_IF_ERROR(WriteRules(controller::RuleSetFromSegments(
      options_.segments, std::chrono::system_clock::now(), "initial map of the local stack")));
  ControllerProcessOptions co;
  co.cluster = options_.cluster;
  co.consul_address = consul_->url();
  co.haproxy_sockets = {spec_.socket_path};
  co.ranges_map = spec_.ranges_map_path;
  co.shards_map = spec_.shards_map_path;
  ASSIGN_OR_RETURN(co.listen_port, PortOrFree(options_.controller_port));
  co.extra_listen_ports = options_.controller_extra_ports;
  co.extra_args = options_.controller_args;
  co.log_path = dir() / "controller.log";
  co.env = NoConsulToken();
  ASSIGN_OR_RETURN(std::unique_ptr<ControllerProcess> controller,
                   ControllerProcess::Start(std::move(co)));
  controller_ = &Adopt(std::move(controller));
  RETURN_IF_ERROR(controller_->WaitReady(options_.controller_ready_timeout));
  return WaitControllerMap();
}

// /readyz says the first reconcile succeeded; the map version says HAProxy runs the seeded map
// (the file HAProxy started from is empty, version 0).
Status Stack::WaitControllerMap() {
  haproxy::RuntimeClient client(haproxy_->socket());
  Result<uint64_t> version = uint64_t{0};
  bool pushed = Eventually(
      [&] {
        version = client.RangeMapVersion(spec_.ranges_map_path);
        return version.ok() && *version > 0;
      },
      options_.controller_ready_timeout);
  if (pushed) return Status::Ok();
  return Timeout("HAProxy's range map " + spec_.ranges_map_path + " is still " +
                 (version.ok() ? "at version 0" : version.status().ToString()) +
                 " though the controller is ready (log " + controller_->log_path().string() + ": " +
                 TailOfFile(controller_->log_path(), 3) + ")");
}

Status Stack::WriteRules(const controller::RuleSet& rules) {
  if (consul_ == nullptr) return InvalidArgument("the stack runs without Consul");
  consul::ClientConfig config;
  config.address = consul_->url();
  config.request_timeout = kConsulRequestTimeout;
  ASSIGN_OR_RETURN(std::unique_ptr<consul::CurlTransport> transport,
                   consul::CurlTransport::Create({config.address, "", config.connect_timeout}));
  consul::Client client(*transport, config);
  // Through the rules store, as the admin API writes, so the version shows in its history (the
  // seed is the version an operator rolls back to).
  SystemClock clock;
  controller::RuleStore store(client, clock, options_.cluster);
  Result<controller::StoredRules> current = store.Load();
  if (!current.ok() && current.status().code() == Code::kProtocol) {
    // Tests overwrite documents they broke on purpose: replace whatever the key holds.
    ASSIGN_OR_RETURN(std::optional<consul::KvEntry> raw,
                     client.Get(controller::RulesKey(options_.cluster)));
    current = controller::StoredRules{{}, raw ? raw->modify_index : 0};
  }
  RETURN_IF_ERROR(Annotate(current.status(), "reading the routing rules"));
  controller::HistoryEntry entry;
  entry.who = "setup";
  entry.action = current->modify_index == 0 ? "seed" : "replace";
  entry.reason = rules.rules.empty() ? "" : rules.rules.front().reason;
  entry.summary = std::to_string(rules.rules.size()) + " rules written by the stack";
  return Annotate(store.Commit(rules, current->modify_index, entry), "writing the routing rules");
}

void Stack::PublishControlPlaneEnv() {
  if (consul_ == nullptr) return;
  AddEnv("SHARDGATE_CONSUL_ADDR", consul_->address());
  AddEnv("CONSUL_HTTP_ADDR", consul_->address());
  AddEnv("SHARDGATE_CONSUL_SERVICE", consul_service());
  AddEnv("SHARDGATE_CONSUL_LOG", (dir() / "consul.log").string());
  if (controller_ != nullptr) {
    AddEnv("SHARDGATE_ADMIN_URL", controller_->url());
    AddEnv("SHARDGATE_CONTROLLER_LOG", controller_->log_path().string());
  }
  if (agents_.empty()) return;
  std::string metrics;
  std::string checks;
  for (const auto& [node, agent] : agents_) {
    std::string sep = metrics.empty() ? "" : " ";
    metrics += sep + node->cluster_name() + ":" + std::to_string(agent->metrics_port());
    checks += sep + node->cluster_name() + ":" + std::to_string(agent->agent_check_port());
  }
  AddEnv("SHARDGATE_AGENT_METRICS", metrics);
  AddEnv("SHARDGATE_AGENT_CHECKS", checks);
}

}  // namespace shardgate::harness
