// AgentProcess: a real shardgate-agent for integration tests and benchmarks, with its /metrics
// and agent-check ports on free ports.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "tests/harness/process.h"

namespace shardgate::harness {

struct AgentProcessOptions {
  std::string cluster = "orders";
  std::string shard = "shard_1";
  std::string node;                     // required
  int pg_port = 0;                      // the PostgreSQL node on 127.0.0.1 (user postgres)
  std::string consul_address;           // "127.0.0.1:<port>"
  std::vector<std::string> extra_args;  // more --key=value flags, e.g. "--interval=250ms"
  std::filesystem::path log_path;       // empty: /dev/null
  EnvVars env;
};

// Not thread-safe. The destructor stops the agent (SIGTERM, then SIGKILL).
class AgentProcess {
 public:
  // Spawns the agent and waits until its /metrics answers or `timeout` passes.
  static Result<std::unique_ptr<AgentProcess>> Start(
      AgentProcessOptions options, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~AgentProcess();
  AgentProcess(const AgentProcess&) = delete;
  AgentProcess& operator=(const AgentProcess&) = delete;

  // The Consul service ID the agent registers, and the ID of its TTL check (model/node_record.h).
  std::string service_id() const;
  std::string check_id() const;
  int metrics_port() const { return metrics_port_; }
  int agent_check_port() const { return agent_check_port_; }
  pid_t pid() const { return process_ ? process_->pid() : 0; }
  // False once the agent exited.
  bool IsRunning() { return process_ && process_->IsRunning(); }
  const std::filesystem::path& log_path() const { return options_.log_path; }

  Status Signal(int sig) { return process_->Signal(sig); }
  // Waits for the agent to exit; its exit code (128+signal when killed).
  Result<int> Wait(std::chrono::milliseconds timeout) { return process_->Wait(timeout); }
  // The /metrics body (kUnavailable when the agent does not answer).
  Result<std::string> Metrics();
  // The value of the first metric line that starts with `name` followed by ' ' (labels included
  // in `name`, e.g. `shardgate_agent_status{status="passing"}`).
  Result<double> Metric(const std::string& name);
  // One agent-check exchange: the line the agent writes.
  Result<std::string> AgentCheck();

 private:
  explicit AgentProcess(AgentProcessOptions options) : options_(std::move(options)) {}
  Status WaitForMetrics(std::chrono::milliseconds timeout);

  AgentProcessOptions options_;
  int metrics_port_ = 0;
  int agent_check_port_ = 0;
  std::unique_ptr<Process> process_;
};

// $SHARDGATE_BINARY_DIR/agent/shardgate-agent.
Result<std::filesystem::path> AgentBinary();

// The libpq conninfo the harness uses for a node on 127.0.0.1:port.
std::string AgentConninfo(int pg_port);

}  // namespace shardgate::harness
