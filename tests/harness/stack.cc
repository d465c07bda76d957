// Stack: starts the fleet's components in dependency order and tears them down in reverse.
#include "tests/harness/stack.h"

#include <cstdio>
#include <cstdlib>
#include <future>

#include "common/file.h"
#include "haproxy/range_map.h"
#include "haproxy/runtime_client.h"
#include "tests/harness/ports.h"

namespace shardgate::harness {
namespace {

using NodeFuture = std::future<Result<std::unique_ptr<PgNode>>>;

std::string ShellQuote(const std::string& value) {
  std::string out = "'";
  for (char c : value) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Waits for every future (so no thread outlives us), keeps what started, reports the first error.
Status Collect(std::vector<std::pair<size_t, NodeFuture>>& futures,
               std::vector<std::shared_ptr<void>>& owner,
               std::vector<std::pair<std::string, std::vector<PgNode*>>>& shards) {
  Status first = Status::Ok();
  for (auto& [shard_index, future] : futures) {
    Result<std::unique_ptr<PgNode>> node = future.get();
    if (!node.ok()) {
      if (first.ok()) first = node.status();
      continue;
    }
    shards[shard_index].second.push_back(node->get());
    owner.emplace_back(std::shared_ptr<PgNode>(std::move(*node)));
  }
  return first;
}

}  // namespace

std::filesystem::path SourceDir() {
  const char* env = std::getenv("SHARDGATE_SOURCE_DIR");
  if (env != nullptr && *env != '\0') return env;
  return SHARDGATE_DEFAULT_SOURCE_DIR;
}

Result<std::unique_ptr<Stack>> Stack::Start(StackOptions options) {
  if (options.shards.empty()) return InvalidArgument("StackOptions.shards is empty");
  if (options.replicas < 0) return InvalidArgument("StackOptions.replicas is negative");
  if (options.agents && !options.consul) {
    return InvalidArgument("StackOptions.agents needs StackOptions.consul");
  }
  if (options.controller && !(options.consul && options.haproxy)) {
    return InvalidArgument("StackOptions.controller needs StackOptions.consul and .haproxy");
  }
  if ((options.tls_require_rw || options.tls_require_ro) && !options.tls) {
    return InvalidArgument("StackOptions.tls_require_rw/_ro need StackOptions.tls");
  }
  if (options.source_dir.empty()) options.source_dir = SourceDir();
  std::unique_ptr<Stack> stack(new Stack(std::move(options)));
  ASSIGN_OR_RETURN(stack->dir_, TempDir::Create("shardgate-stack", stack->options_.parent_dir));
  // An error return tears the half-built stack down.
  if (stack->options_.tls) RETURN_IF_ERROR(stack->MakeTlsCertificates());
  RETURN_IF_ERROR(stack->StartNodes());
  if (stack->options_.haproxy) RETURN_IF_ERROR(stack->StartHaproxy());
  if (stack->options_.consul) RETURN_IF_ERROR(stack->StartConsul());
  if (stack->options_.agents) RETURN_IF_ERROR(stack->StartAgents());
  if (stack->options_.controller) RETURN_IF_ERROR(stack->StartController());
  stack->PublishEnv();
  return stack;
}

Stack::~Stack() {
  while (!components_.empty()) components_.pop_back();
  dir_.reset();
}

Status Stack::StartNodes() {
  std::vector<std::pair<size_t, NodeFuture>> primaries;
  for (size_t i = 0; i < options_.shards.size(); ++i) {
    shards_.emplace_back(options_.shards[i], std::vector<PgNode*>{});
    PgNodeSpec spec{"n1", options_.shards[i] + "/n1", dir(), 0};
    primaries.emplace_back(i, std::async(std::launch::async, PgNode::StartPrimary, spec));
  }
  RETURN_IF_ERROR(Collect(primaries, components_, shards_));
  std::vector<std::pair<size_t, NodeFuture>> replicas;
  for (size_t i = 0; i < shards_.size(); ++i) {
    PgNode* primary = shards_[i].second.front();
    for (int r = 0; r < options_.replicas; ++r) {
      std::string name = "n" + std::to_string(r + 2);
      PgNodeSpec spec{name, shards_[i].first + "/" + name, dir(), 0};
      replicas.emplace_back(i, std::async(std::launch::async, [primary, spec] {
                              return PgNode::StartReplica(*primary, spec);
                            }));
    }
  }
  return Collect(replicas, components_, shards_);
}

Status Stack::MakeTlsCertificates() {
  ASSIGN_OR_RETURN(tls_ca_, MakeTestCa(dir() / "tls"));
  ASSIGN_OR_RETURN(tls_cert_, IssueServerCert(*tls_ca_, "router", {"localhost", "127.0.0.1"}));
  return Status::Ok();
}

std::filesystem::path Stack::tls_ca() const {
  return tls_ca_ ? tls_ca_->ca_cert : std::filesystem::path();
}

haproxy::ConfigSpec Stack::BuildSpec() const {
  haproxy::ConfigSpec spec;
  spec.socket_path = (dir() / "haproxy.sock").string();
  spec.lua_dir = (options_.source_dir / "lua").string();
  spec.ranges_map_path = (dir() / "shardgate_ranges.map").string();
  spec.cancel_map_path = (dir() / "shardgate_cancel.map").string();
  spec.shards_map_path = (dir() / "shardgate_shards.map").string();
  spec.spare_backends = options_.spare_backends;
  if (tls_cert_) {
    spec.tls.cert_path = tls_cert_->pem.string();
    spec.tls.require_rw = options_.tls_require_rw;
    spec.tls.require_ro = options_.tls_require_ro;
  }
  for (const auto& [shard, nodes] : shards_) {
    haproxy::ShardSpec s;
    s.name = shard;
    // With the controller the backends start empty: it adds the servers it finds in Consul.
    for (PgNode* node : options_.controller ? std::vector<PgNode*>{} : nodes) {
      // RenderConfig adds the rw servers to the ro backend as backups itself.
      haproxy::ServerSpec server{node->name(), "127.0.0.1", node->port()};
      (node->role() == PgRole::kPrimary ? s.rw : s.ro).push_back(server);
    }
    spec.shards.push_back(std::move(s));
  }
  return spec;
}

Status Stack::StartHaproxy() {
  spec_ = BuildSpec();
  for (auto [field, wanted] :
       {std::pair{&spec_.rw_port, options_.rw_port}, std::pair{&spec_.ro_port, options_.ro_port},
        std::pair{&spec_.stats_port, options_.stats_port}}) {
    ASSIGN_OR_RETURN(*field, PortOrFree(wanted));
  }
  RETURN_IF_ERROR(haproxy::ValidateConfigSpec(spec_));
  HaproxyOptions ho;
  ho.dir = dir();
  ho.config_text = haproxy::RenderConfig(spec_);
  ho.socket_path = spec_.socket_path;
  ho.tcp_ports = {spec_.rw_port, spec_.ro_port, spec_.stats_port};
  std::string map_text;
  if (!options_.segments.empty() && !options_.controller) {
    RETURN_IF_ERROR(model::ValidateSegments(options_.segments));
    map_text = haproxy::RenderMapFile(options_.segments, 1);
  }
  ho.files = {
      {spec_.ranges_map_path, map_text}, {spec_.cancel_map_path, ""}, {spec_.shards_map_path, ""}};
  ASSIGN_OR_RETURN(std::unique_ptr<HaproxyProcess> hp, HaproxyProcess::Start(std::move(ho)));
  haproxy_ = &Adopt(std::move(hp));
  return Status::Ok();
}

std::string Stack::ExitedComponent() {
  if (haproxy_ != nullptr && !haproxy_->IsRunning()) return "haproxy";
  if (consul_ != nullptr && !consul_->IsRunning()) return "shardgate-consul-dev";
  for (auto& [node, agent] : agents_) {
    if (!agent->IsRunning()) {
      return "shardgate-agent " + node->cluster_name() + " (log " + agent->log_path().string() +
             ": " + TailOfFile(agent->log_path(), 3) + ")";
    }
  }
  if (controller_ != nullptr && !controller_->IsRunning()) {
    return "shardgate-controller (log " + controller_->log_path().string() + ": " +
           TailOfFile(controller_->log_path(), 3) + ")";
  }
  return "";
}

PgNode* Stack::Node(std::string_view shard, std::string_view node) {
  for (auto& [name, nodes] : shards_) {
    if (name != shard) continue;
    for (PgNode* n : nodes) {
      if (n->name() == node) return n;
    }
  }
  return nullptr;
}

AgentProcess* Stack::Agent(std::string_view shard, std::string_view node) {
  PgNode* want = Node(shard, node);
  return want == nullptr ? nullptr : Agent(*want);
}

AgentProcess* Stack::Agent(const PgNode& node) {
  for (auto& [n, agent] : agents_) {
    if (n == &node) return agent;
  }
  return nullptr;
}

PgNode& Stack::Primary(std::string_view shard) { return *Node(shard, "n1"); }

std::vector<PgNode*> Stack::Nodes() const {
  std::vector<PgNode*> out;
  for (const auto& [name, nodes] : shards_) out.insert(out.end(), nodes.begin(), nodes.end());
  return out;
}

std::string Stack::stats_url() const {
  return "http://127.0.0.1:" + std::to_string(spec_.stats_port) + "/stats";
}

Result<uint64_t> Stack::PushRangeMap(const std::vector<model::Segment>& segments) {
  if (haproxy_ == nullptr) return Unavailable("the stack runs without HAProxy");
  if (controller_ != nullptr) {
    return InvalidArgument("the controller owns the range map of this stack: use WriteRules");
  }
  haproxy::RuntimeClient client(haproxy_->socket());
  ASSIGN_OR_RETURN(uint64_t version, client.PushRangeMap(spec_.ranges_map_path, segments));
  // Keep the file in step so a Restart() comes back with the same map.
  RETURN_IF_ERROR(WriteFile(spec_.ranges_map_path, haproxy::RenderMapFile(segments, version)));
  return version;
}

void Stack::AddEnv(const std::string& key, const std::string& value) {
  for (auto& [k, v] : env_) {
    if (k == key) {
      v = value;
      return;
    }
  }
  env_.emplace_back(key, value);
}

void Stack::PublishEnv() {
  std::string nodes;
  for (PgNode* n : Nodes()) {
    if (!nodes.empty()) nodes += ' ';
    nodes += n->cluster_name() + ":" + std::to_string(n->port()) + ":" +
             std::string(PgRoleName(n->role()));
  }
  AddEnv("SHARDGATE_STACK_DIR", dir().string());
  AddEnv("SHARDGATE_NODES", nodes);
  AddEnv("SHARDGATE_PGHOST", "127.0.0.1");
  AddEnv("SHARDGATE_PGUSER", "postgres");
  AddEnv("SHARDGATE_PGDATABASE", "postgres");
  PublishControlPlaneEnv();
  if (haproxy_ == nullptr) return;
  AddEnv("SHARDGATE_RW_PORT", std::to_string(spec_.rw_port));
  AddEnv("SHARDGATE_RO_PORT", std::to_string(spec_.ro_port));
  AddEnv("SHARDGATE_HAPROXY_SOCKET", spec_.socket_path);
  AddEnv("SHARDGATE_HAPROXY_STATS_URL", stats_url());
  AddEnv("SHARDGATE_HAPROXY_CONFIG", haproxy_->config_path().string());
  AddEnv("SHARDGATE_HAPROXY_LOG", haproxy_->log_path().string());
  AddEnv("SHARDGATE_RANGES_MAP", spec_.ranges_map_path);
  AddEnv("SHARDGATE_SHARDS_MAP", spec_.shards_map_path);
  if (tls_ca_) AddEnv("SHARDGATE_TLS_CA", tls_ca_->ca_cert.string());
}

Status Stack::WriteEnvFile(const std::filesystem::path& path) const {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  std::string text = "# shardgate local stack: source this file (. " + path.string() + ")\n";
  for (const auto& [k, v] : env_) text += "export " + k + "=" + ShellQuote(v) + "\n";
  return WriteFileAtomically(path, text);
}

}  // namespace shardgate::harness
