// The processes of the controller bench: HAProxy from a configuration file with its start timed
// to the millisecond (SIGKILL and start again, as a crash would), shardgate-controller started
// through the harness, and what the bench reads from HAProxy to tell "applied".
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"
#include "haproxy/config.h"
#include "haproxy/runtime_client.h"
#include "haproxy/runtime_socket.h"
#include "tests/harness/process.h"

namespace shardgate::bench {

// Where one bench HAProxy keeps its files and listens.
struct HaproxyLayout {
  std::filesystem::path dir;
  std::string socket_path;
  std::string ranges_map;
  std::string cancel_map;
  int rw_port = 0;
  int ro_port = 0;
};

// Free ports and the file names under `dir` (created).
Result<HaproxyLayout> MakeHaproxyLayout(const std::filesystem::path& dir);

// The router configuration (haproxy::RenderConfig) for `shards` at `layout`.
Result<std::string> RenderBenchConfig(const HaproxyLayout& layout,
                                      std::vector<haproxy::ShardSpec> shards);

// One HAProxy process run from `<dir>/haproxy.cfg`. Not thread-safe; the destructor stops it.
class TimedHaproxy {
 public:
  explicit TimedHaproxy(HaproxyLayout layout);
  ~TimedHaproxy();
  TimedHaproxy(const TimedHaproxy&) = delete;
  TimedHaproxy& operator=(const TimedHaproxy&) = delete;

  // Writes the configuration (and empty map files where none exist yet) before a first Start.
  Status WriteConfig(const std::string& config_text);
  // Spawns `haproxy -db -f <dir>/haproxy.cfg` and polls `show info` every millisecond until it
  // answers; returns the time from spawn to that answer.
  // Errors: kTimeout after `timeout`, kUnavailable when HAProxy exits during start-up.
  Result<std::chrono::nanoseconds> Start(std::chrono::milliseconds timeout);
  // SIGKILL (nothing is cleaned up, as in a crash); waits until the process is reaped.
  Status Kill();

  haproxy::RuntimeClient& client() { return client_; }
  const HaproxyLayout& layout() const { return layout_; }
  pid_t pid() const { return process_ ? process_->pid() : 0; }

 private:
  HaproxyLayout layout_;
  haproxy::UnixRuntimeSocket socket_;
  haproxy::RuntimeClient client_;
  std::unique_ptr<harness::Process> process_;
};

// shardgate-controller ($SHARDGATE_BINARY_DIR/controller/shardgate-controller) for one HAProxy.
class ControllerProcess {
 public:
  struct Options {
    std::string cluster;
    std::string consul_address;  // "127.0.0.1:<port>"
    const HaproxyLayout* haproxy = nullptr;
    std::filesystem::path log_path;
  };
  // Spawns it on a free --listen port and waits until /healthz answers 200.
  static Result<std::unique_ptr<ControllerProcess>> Start(const Options& options);

  // Polls /readyz until 200 or `timeout` (kTimeout).
  Status WaitReady(std::chrono::milliseconds timeout);
  // GET /metrics: the Prometheus text.
  Result<std::string> Metrics();
  pid_t pid() const { return process_->pid(); }
  const std::filesystem::path& log_path() const { return log_path_; }

 private:
  ControllerProcess(std::unique_ptr<harness::Process> process, int port,
                    std::filesystem::path log_path)
      : process_(std::move(process)), port_(port), log_path_(std::move(log_path)) {}
  std::unique_ptr<harness::Process> process_;
  int port_;
  std::filesystem::path log_path_;
};

// What the bench compares of one server: maintenance or not, and its weight.
struct ServerLook {
  bool maint = true;
  int weight = 0;
  bool operator==(const ServerLook&) const = default;
};
using ServersLook = std::map<std::pair<std::string, std::string>, ServerLook>;  // (backend, name)

// Every server HAProxy runs, as ServerLook. Errors: the runtime API's.
Result<ServersLook> LookAtServers(haproxy::RuntimeClient& client, const std::string& backend = "");

}  // namespace shardgate::bench
