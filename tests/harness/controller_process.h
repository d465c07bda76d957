// ControllerProcess: a real shardgate-controller for integration tests and the dev stack, its
// admin HTTP port (/healthz, /readyz, /metrics) on a free port.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "tests/harness/process.h"

namespace shardgate::harness {

struct ControllerProcessOptions {
  std::string cluster = "demo";              // --cluster; service "shardgate-<cluster>"
  std::string consul_address;                // --consul_address URL, e.g. ConsulDev::url()
  std::vector<std::string> haproxy_sockets;  // stats sockets: unix paths or host:port
  std::filesystem::path ranges_map;          // the range map file HAProxy loads
  std::filesystem::path shards_map;          // empty: no --shards_map
  int listen_port = 0;                       // admin port on 127.0.0.1; 0: a free port
  std::vector<int> extra_listen_ports;       // more ports on 127.0.0.1 serving the same API
  std::string controller_id;                 // empty: the controller's default (hostname)
  std::vector<std::string> extra_args;       // more --key=value flags, e.g. "--log_level=debug"
  std::filesystem::path log_path;            // empty: /dev/null
  // Added to the environment; the Consul token goes here (CONSUL_HTTP_TOKEN[_FILE]), never on
  // argv, where every user of the machine can read it.
  EnvVars env;
};

// Not thread-safe. The destructor stops the controller (SIGTERM, then SIGKILL).
class ControllerProcess {
 public:
  // Spawns the controller and waits until GET /healthz answers 200 or `timeout` passes; a
  // controller that exits at once (bad configuration: exit code 2) or never answers is reported
  // with the tail of its log.
  static Result<std::unique_ptr<ControllerProcess>> Start(
      ControllerProcessOptions options,
      std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~ControllerProcess();
  ControllerProcess(const ControllerProcess&) = delete;
  ControllerProcess& operator=(const ControllerProcess&) = delete;

  // Polls GET /readyz until it answers 200 (the first reconcile of every HAProxy succeeded).
  // Errors: kTimeout naming the last answer, kUnavailable when the controller exited; both with
  // the tail of its log.
  Status WaitReady(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // The /metrics body (kUnavailable when the controller does not answer 200).
  Result<std::string> Metrics();
  // The value of the first metric line that starts with `name` followed by ' ' (labels included).
  Result<double> Metric(const std::string& name);

  // "http://127.0.0.1:<port>": the admin API (SHARDGATE_ADMIN_URL).
  std::string url() const;
  int port() const { return options_.listen_port; }
  pid_t pid() const { return process_ ? process_->pid() : 0; }
  const std::filesystem::path& log_path() const { return options_.log_path; }
  const ControllerProcessOptions& options() const { return options_; }
  // False once the controller exited (or was stopped).
  bool IsRunning() { return process_ && process_->IsRunning(); }
  // Sends `sig` to the controller's process group (tests freeze it with SIGSTOP/SIGCONT).
  Status Signal(int sig);
  // Waits for the controller to exit; its exit code (128+signal when killed).
  Result<int> Wait(std::chrono::milliseconds timeout);
  // SIGTERM, then SIGKILL once `timeout` passed; waits until it is gone.
  Status Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Stops and starts again with the same flags on the same port; waits for /healthz.
  Status Restart(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  explicit ControllerProcess(ControllerProcessOptions options) : options_(std::move(options)) {}
  Status Launch(std::chrono::milliseconds timeout);
  std::vector<std::string> Argv(const std::filesystem::path& binary) const;
  std::string ListenList() const;  // "127.0.0.1:<listen_port>[,127.0.0.1:<extra>...]"

  ControllerProcessOptions options_;
  std::unique_ptr<Process> process_;
};

// $SHARDGATE_BINARY_DIR/controller/shardgate-controller.
Result<std::filesystem::path> ControllerBinary();

}  // namespace shardgate::harness
