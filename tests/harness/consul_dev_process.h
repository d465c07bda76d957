// ConsulDev: a shardgate-consul-dev process for tests and the dev stack, on a free port.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"
#include "tests/harness/local_http.h"
#include "tests/harness/process.h"

namespace shardgate::harness {

struct ConsulDevOptions {
  std::filesystem::path acl_token_file;  // empty: ACLs disabled
  std::filesystem::path snapshot;        // empty: no snapshot (KV lost on restart)
  std::filesystem::path log_path;        // empty: /dev/null
  std::string node_name;                 // empty: the server's default ("shardgate-dev")
  std::string deregister_critical_min;   // Go duration; empty: the server's default (1m)
  // PEM certificate and key: both set, the server speaks HTTPS only (--tls-cert/--tls-key).
  std::filesystem::path tls_cert_file;
  std::filesystem::path tls_key_file;
  int port = 0;  // 0: a free port
};

// Not thread-safe. The destructor stops the server.
class ConsulDev {
 public:
  // Starts the binary ($SHARDGATE_BINARY_DIR/consul/shardgate-consul-dev) and waits until
  // /v1/status/leader answers 200 (with TLS: until the port accepts connections) or `timeout`
  // passes.
  static Result<std::unique_ptr<ConsulDev>> Start(
      ConsulDevOptions options, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~ConsulDev();
  ConsulDev(const ConsulDev&) = delete;
  ConsulDev& operator=(const ConsulDev&) = delete;

  // "127.0.0.1:<port>", what CONSUL_HTTP_ADDR would hold.
  std::string address() const { return "127.0.0.1:" + std::to_string(options_.port); }
  // "http://127.0.0.1:<port>", or https:// with TLS: what ClientConfig::address would hold.
  std::string url() const { return (tls() ? "https://" : "http://") + address(); }
  bool tls() const { return !options_.tls_cert_file.empty(); }
  int port() const { return options_.port; }
  pid_t pid() const { return process_ ? process_->pid() : 0; }
  // False once the server exited (or was stopped).
  bool IsRunning() { return process_ && process_->IsRunning(); }
  // SIGTERM, then SIGKILL after a grace period; waits until the process is gone.
  Status Stop();
  // Stops and starts again on the same port (same snapshot, token and flags).
  Status Restart(std::chrono::milliseconds timeout = std::chrono::seconds(10));

 private:
  explicit ConsulDev(ConsulDevOptions options) : options_(std::move(options)) {}
  Status Launch(std::chrono::milliseconds timeout);

  ConsulDevOptions options_;
  std::unique_ptr<Process> process_;
};

// Path of the server binary: $SHARDGATE_BINARY_DIR/consul/shardgate-consul-dev.
Result<std::filesystem::path> ConsulDevBinary();

}  // namespace shardgate::harness
