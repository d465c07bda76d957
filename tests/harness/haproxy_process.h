// HAProxy in the foreground (-db) with a given configuration, its log captured, runtime API access.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "haproxy/runtime_socket.h"
#include "tests/harness/process.h"

namespace shardgate::harness {

struct HaproxyOptions {
  std::filesystem::path dir;  // haproxy.cfg and haproxy.log are written here
  std::string config_text;    // e.g. haproxy::RenderConfig(spec); should log to stdout
  // Files written before the first start (map files), path -> content.
  std::vector<std::pair<std::filesystem::path, std::string>> files;
  std::string socket_path;     // the stats socket the config declares
  std::vector<int> tcp_ports;  // frontends on 127.0.0.1 that must accept before Start returns
  EnvVars env;
  std::chrono::milliseconds ready_timeout = std::chrono::seconds(20);
};

// One HAProxy process. Not thread-safe, except Runtime() (each call uses its own connection).
// The destructor stops it.
class HaproxyProcess {
 public:
  // Writes the files and config, starts `/usr/sbin/haproxy -db -f <cfg>` and waits until the
  // stats socket answers `show info` and every port accepts TCP. On failure the error carries
  // the tail of HAProxy's log.
  static Result<std::unique_ptr<HaproxyProcess>> Start(HaproxyOptions options);
  ~HaproxyProcess();
  HaproxyProcess(const HaproxyProcess&) = delete;
  HaproxyProcess& operator=(const HaproxyProcess&) = delete;

  // One runtime-API command, HAProxy's reply verbatim.
  Result<std::string> Runtime(std::string_view command);
  // The socket seam for haproxy::RuntimeClient and the controller.
  haproxy::RuntimeSocket& socket() { return socket_; }
  // Everything HAProxy logged (stdout and stderr) so far, across restarts.
  std::string LogText() const;
  Status Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Stop, then start again from the same files on disk (runtime changes are lost, as in
  // production).
  Status Restart();
  bool IsRunning();
  pid_t pid() const { return process_ ? process_->pid() : 0; }
  std::filesystem::path config_path() const { return options_.dir / "haproxy.cfg"; }
  std::filesystem::path log_path() const { return options_.dir / "haproxy.log"; }

 private:
  explicit HaproxyProcess(HaproxyOptions options);
  Status Launch();
  Status WaitReady();

  HaproxyOptions options_;
  haproxy::UnixRuntimeSocket socket_;
  std::unique_ptr<Process> process_;
};

}  // namespace shardgate::harness
