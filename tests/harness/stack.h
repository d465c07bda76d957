// A composed local fleet: N shards (primary + replicas), HAProxy with the router, a range map,
// and optionally the Consul dev server, one shardgate-agent per node and shardgate-controller.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "controller/routing_rules.h"
#include "haproxy/config.h"
#include "model/range.h"
#include "tests/harness/agent_process.h"
#include "tests/harness/consul_dev_process.h"
#include "tests/harness/controller_process.h"
#include "tests/harness/haproxy_process.h"
#include "tests/harness/pg_node.h"
#include "tests/harness/temp_dir.h"
#include "tests/harness/test_certs.h"

namespace shardgate::harness {

struct StackOptions {
  std::vector<std::string> shards = {"shard_1"};
  int replicas = 1;     // per shard; nodes are n1 (primary), n2, ...
  bool haproxy = true;  // start HAProxy with the router
  // The initial range map: written to the map file (version 1), or with `controller` seeded into
  // Consul KV as the cluster's rules (one per segment). Empty = no ranges.
  std::vector<model::Segment> segments;
  // Empty backend pairs shardgate_spare_<i>_rw/_ro for shards added at run time. The shards
  // map (config_spec().shards_map_path) is always there, empty at start.
  int spare_backends = 0;
  int rw_port = 0;  // HAProxy frontends and stats; 0 = a free port
  int ro_port = 0;
  int stats_port = 0;
  std::filesystem::path parent_dir = "/tmp";  // the stack's work directory is created here
  std::filesystem::path source_dir;           // repo (for lua/); empty = SourceDir()
  // Control plane, off by default: the router tests need neither. Binaries are found through
  // $SHARDGATE_BINARY_DIR (consul/shardgate-consul-dev, agent/shardgate-agent).
  bool consul = false;  // start shardgate-consul-dev
  int consul_port = 0;  // 0 = a free port
  // Keep Consul's KV in <dir>/consul.snapshot, so consul()->Restart() comes back with the rules
  // (the dev server keeps only KV: the agents register again).
  bool consul_snapshot = false;
  bool agents = false;  // one shardgate-agent per node, publishing to that Consul; needs consul
  std::string cluster = "demo";         // agents' --cluster; service "shardgate-<cluster>"
  std::vector<std::string> agent_args;  // more agent flags, e.g. "--interval=250ms"
  // Start() fails (naming the nodes) unless every agent's service passes in Consul by then.
  std::chrono::milliseconds agents_passing_timeout = std::chrono::seconds(30);
  // shardgate-controller ($SHARDGATE_BINARY_DIR/controller/), off by default; needs consul and
  // haproxy (and agents, to have servers to add). HAProxy then starts with empty shard backends
  // and an empty range map: its servers and map come only from the controller.
  bool controller = false;
  int controller_port = 0;                   // its admin API (/metrics, /healthz); 0 = a free port
  std::vector<int> controller_extra_ports;   // more 127.0.0.1 ports serving the same API
  std::vector<std::string> controller_args;  // more controller flags, e.g. "--log_level=debug"
  // Start() fails unless the controller's /readyz answers 200 and HAProxy runs a range map
  // version > 0 by then.
  std::chrono::milliseconds controller_ready_timeout = std::chrono::seconds(30);
  // TLS for clients at the router: a throwaway CA and a server certificate for localhost and
  // 127.0.0.1 in <dir>/tls, HAProxy's ConfigSpec.tls.cert_path set to it. PostgreSQL stays clear.
  bool tls = false;
  // Clear-text startups refused on that frontend (ConfigSpec.tls.require_rw/_ro); needs tls.
  bool tls_require_rw = false;
  bool tls_require_ro = false;
};

// Owns every component; tears them down in reverse order of start when destroyed (also when a
// test fails or Start() fails half-way). Components started by a caller after the stack (a
// controller, extra agents) are handed over with Adopt() and publish their addresses with AddEnv().
// Not thread-safe.
class Stack {
 public:
  // Starts primaries in parallel, then replicas in parallel, then HAProxy, then Consul (seeding
  // the rules when the controller is on), then the agents, and waits until every agent's service
  // passes in Consul; then the controller, and waits until it is ready and HAProxy runs its map.
  // Teardown: the reverse.
  static Result<std::unique_ptr<Stack>> Start(StackOptions options);
  ~Stack();
  Stack(const Stack&) = delete;
  Stack& operator=(const Stack&) = delete;

  // nullptr when there is no such node.
  PgNode* Node(std::string_view shard, std::string_view node);
  // The shard's node n1 (the primary at start). REQUIRES: the shard exists.
  PgNode& Primary(std::string_view shard);
  // Every node, shard by shard, n1 first.
  std::vector<PgNode*> Nodes() const;
  // nullptr when started without HAProxy.
  HaproxyProcess* haproxy() { return haproxy_; }
  // nullptr when started without Consul.
  ConsulDev* consul() { return consul_; }
  // The agent of a node; nullptr when started without agents or there is no such node.
  AgentProcess* Agent(std::string_view shard, std::string_view node);
  AgentProcess* Agent(const PgNode& node);
  // nullptr when started without the controller.
  ControllerProcess* controller() { return controller_; }
  // The Consul service the agents register: "shardgate-<cluster>".
  std::string consul_service() const { return "shardgate-" + options_.cluster; }
  // The first started process that has exited since ("haproxy", "shardgate-consul-dev",
  // "shardgate-agent shard_1/n2", "shardgate-controller"), empty while all run. Reaps what exited.
  std::string ExitedComponent();

  const std::filesystem::path& dir() const { return dir_->path(); }
  const std::filesystem::path& source_dir() const { return options_.source_dir; }
  const haproxy::ConfigSpec& config_spec() const { return spec_; }
  int rw_port() const { return spec_.rw_port; }
  int ro_port() const { return spec_.ro_port; }
  std::string stats_url() const;
  // The CA certificate clients trust (StackOptions.tls); empty when TLS is off.
  std::filesystem::path tls_ca() const;
  // The CA (to issue a renewed certificate) and the router's certificate; nullptr when TLS is off.
  const TestCerts* tls_authority() const { return tls_ca_ ? &*tls_ca_ : nullptr; }
  const IssuedCert* tls_cert() const { return tls_cert_ ? &*tls_cert_ : nullptr; }

  // Replaces HAProxy's range map at run time (prepare/add/commit map); returns the version.
  // kInvalidArgument in a stack with the controller, which owns the map there (use WriteRules).
  Result<uint64_t> PushRangeMap(const std::vector<model::Segment>& segments);
  // Replaces the cluster's routing rules in Consul KV (controller::RulesKey, a plain put); the
  // controller applies them. kInvalidArgument without Consul; Consul's errors as they come.
  Status WriteRules(const controller::RuleSet& rules);

  // Takes ownership of a component started after the stack; destroyed before everything that
  // was started earlier. Returns it for convenience.
  template <typename T>
  T& Adopt(std::unique_ptr<T> component) {
    T& ref = *component;
    components_.emplace_back(std::shared_ptr<T>(std::move(component)));
    return ref;
  }
  // Adds (or replaces) a variable written by WriteEnvFile.
  void AddEnv(const std::string& key, const std::string& value);
  // Shell-sourceable `export KEY='value'` lines; written to a temp file and renamed into place.
  Status WriteEnvFile(const std::filesystem::path& path) const;
  const std::vector<std::pair<std::string, std::string>>& env() const { return env_; }

 private:
  explicit Stack(StackOptions options) : options_(std::move(options)) {}
  Status StartNodes();
  Status MakeTlsCertificates();
  Status StartHaproxy();
  Status StartConsul();
  Status StartAgents();
  Status StartController();
  Status WaitControllerMap();
  haproxy::ConfigSpec BuildSpec() const;
  void PublishEnv();
  void PublishControlPlaneEnv();

  StackOptions options_;
  std::unique_ptr<TempDir> dir_;
  std::vector<std::shared_ptr<void>> components_;  // destroyed back to front
  std::vector<std::pair<std::string, std::vector<PgNode*>>> shards_;
  HaproxyProcess* haproxy_ = nullptr;
  ConsulDev* consul_ = nullptr;
  std::vector<std::pair<PgNode*, AgentProcess*>> agents_;  // in Nodes() order
  ControllerProcess* controller_ = nullptr;
  haproxy::ConfigSpec spec_;
  std::optional<TestCerts> tls_ca_;
  std::optional<IssuedCert> tls_cert_;
  std::vector<std::pair<std::string, std::string>> env_;
};

// The repository: $SHARDGATE_SOURCE_DIR, else the source directory this was built from.
std::filesystem::path SourceDir();

}  // namespace shardgate::harness
