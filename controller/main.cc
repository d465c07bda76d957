// shardgate-controller: makes HAProxy follow Consul (servers, weights, fenced primaries, the range
// map) through the runtime API, never a reload. Configuration: docs/controller.md.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <stop_token>
#include <thread>

#include "common/config_layers.h"
#include "common/file.h"
#include "common/log.h"
#include "common/sleeper.h"
#include "common/stop_signals.h"
#include "consul/config.h"
#include "consul/curl_transport.h"
#include "consul/watch.h"
#include "controller/admin_api.h"
#include "controller/config.h"
#include "controller/fleet_report.h"
#include "controller/http_server.h"
#include "controller/kv_layout.h"
#include "controller/metrics.h"
#include "controller/reconciler.h"
#include "controller/watches.h"
#include "haproxy/runtime_socket.h"

namespace {

using namespace shardgate;
using namespace shardgate::controller;

std::string HostName() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "";
  return name;
}

// "host:port" -> TCP stats socket; anything else is a Unix socket path. One kept connection
// each: a resync after a restart sends thousands of commands, and a connect per command was most
// of its time (docs/benchmarks.md).
std::unique_ptr<haproxy::RuntimeSocket> OpenSocket(const std::string& address, Millis timeout,
                                                   haproxy::ConnectionPolicy policy) {
  if (address.find('/') == std::string::npos) {
    auto hp = ParseListen("haproxy_sockets", address);
    if (hp.ok()) {
      return std::make_unique<haproxy::TcpRuntimeSocket>(hp->first, hp->second, timeout, policy);
    }
  }
  return std::make_unique<haproxy::UnixRuntimeSocket>(address, timeout, policy);
}

// The admin tokens, and the rule that only loopback listeners may go without them: the admin API
// changes routing for the whole fleet. Errors name the key (exit 2).
Result<TokenSet> LoadAdminTokens(const ControllerConfig& cfg,
                                 const std::vector<std::pair<std::string, int>>& listeners) {
  TokenSet tokens;
  if (!cfg.admin_tokens_file.empty()) {
    Result<std::string> text = ReadFile(cfg.admin_tokens_file);
    if (!text.ok()) return InvalidArgument("admin_tokens_file: " + text.status().message());
    Result<TokenSet> parsed = ParseTokens(*text);
    if (!parsed.ok()) {
      return InvalidArgument("admin_tokens_file: " + cfg.admin_tokens_file + ": " +
                             parsed.status().message());
    }
    tokens = std::move(*parsed);
  }
  for (const auto& [host, port] : listeners) {
    if (tokens.tokens.empty() && !IsLoopbackHost(host)) {
      return InvalidArgument("listen: " + host + ":" + std::to_string(port) +
                             " is reachable from other machines; set admin_tokens_file so the "
                             "admin API requires bearer tokens there");
    }
  }
  return tokens;
}

void PrintHelp() {
  std::printf(
      "usage: shardgate-controller [--config FILE] [--KEY=VALUE ...]\n"
      "keys (also SHARDGATE_CONTROLLER_<KEY> in the environment, or KEY = VALUE in FILE):\n");
  for (const std::string& key : ControllerConfigKeys()) std::printf("  %s\n", key.c_str());
  std::printf(
      "Consul: CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN / CONSUL_HTTP_TOKEN_FILE, CONSUL_CACERT.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    PrintHelp();
    return 0;
  }
  auto cfg = LoadControllerConfig(ProcessConfigSources(argc, argv), HostName());
  if (!cfg.ok()) return ConfigError(cfg.status().message());
  auto ccfg = consul::DaemonClientConfig(cfg->consul_address, cfg->consul_timeout);
  if (!ccfg.ok()) return ConfigError(ccfg.status().message());
  if (!cfg->consul_datacenter.empty()) ccfg->datacenter = cfg->consul_datacenter;
  std::vector<std::pair<std::string, int>> listeners;
  for (const std::string& address : cfg->listen) {
    auto parsed = ParseListen("listen", address);
    if (!parsed.ok()) return ConfigError(parsed.status().message());
    listeners.push_back(*parsed);
  }
  auto tokens = LoadAdminTokens(*cfg, listeners);
  if (!tokens.ok()) return ConfigError(tokens.status().message());
  SetLogLevel(cfg->log_level);

  // Before any thread starts: only the signal thread below takes SIGINT and SIGTERM.
  BlockStopSignals();
  auto transport = consul::CurlTransport::Create(
      {ccfg->address, ccfg->ca_file, ccfg->connect_timeout});
  if (!transport.ok()) return ConfigError(transport.status().message());
  consul::Client client(**transport, *ccfg);
  SystemClock clock;
  RealSleeper sleeper;
  ControllerMetrics metrics(clock);

  std::vector<std::unique_ptr<haproxy::RuntimeSocket>> sockets;
  std::vector<InstanceTarget> targets;
  for (const std::string& address : cfg->haproxy_sockets) {
    sockets.push_back(
        OpenSocket(address, cfg->haproxy_timeout, haproxy::ConnectionPolicy::KeepAlive()));
    targets.push_back({address, sockets.back().get()});
  }
  ReconcilerOptions ropts;
  ropts.ranges_map = cfg->ranges_map;
  ropts.shards_map = cfg->shards_map;
  ropts.resync_interval = cfg->resync_interval;
  ropts.check_interval = cfg->haproxy_check_interval;
  ropts.remove_after = cfg->remove_after;
  Reconciler reconciler(clock, metrics, ropts, targets);
  FleetReporter reporter(client, clock, sleeper,
                         ControllerReportKey(cfg->cluster, cfg->controller_id), cfg->controller_id);
  reconciler.OnApplied([&](const std::vector<InstanceApplied>& a) { reporter.Post(a); });

  ControllerHttpServer http([&] { return metrics.Render(); },
                            [&] { return reconciler.NotReadyReason(); });
  RuleStore store(client, clock, cfg->cluster, {.history_keep = cfg->history_keep});
  AdminApiSources sources{
      .nodes = [&] { return reconciler.Nodes(); },
      .shards = [&] { return reconciler.Shards(); },
      .haproxy_servers =
          [&] {
            // Connections of its own, so a slow answer never holds up the reconcile loop.
            return ReadHaproxyServers(cfg->haproxy_sockets, cfg->shards_map,
                                      [&](const std::string& address) {
                                        return OpenSocket(address, cfg->haproxy_timeout,
                                                          haproxy::ConnectionPolicy::PerCommand());
                                      });
          },
  };
  AdminApi admin(store, client, clock, sleeper, metrics,
                 {cfg->cluster, cfg->controller_id, std::move(*tokens)}, std::move(sources));
  admin.Register(http);
  for (const auto& [host, port] : listeners) {
    if (Status s = http.Start(host, port); !s.ok()) {
      Log(LogLevel::kError, "listen_failed", {{"key", "listen"}, {"error", s.ToString()}});
      return kExitRuntime;
    }
    Log(LogLevel::kInfo, "listening",
        {{"key", "listen"}, {"address", host + ":" + std::to_string(port)}});
  }

  ConsulWatches watches(client, clock, sleeper, metrics, reconciler,
                        {cfg->service_name, cfg->cluster, cfg->consul_wait});
  Log(LogLevel::kInfo, "controller_started",
      {{"controller_id", cfg->controller_id},
       {"cluster", cfg->cluster},
       {"service", cfg->service_name},
       {"consul", ccfg->address},
       {"consul_datacenter", ccfg->datacenter.value_or("(the agent's own)")},
       {"haproxy", std::to_string(targets.size()) + " instance(s)"}});
  std::jthread loop([&](std::stop_token stop) { reconciler.Run(stop); });
  std::jthread report([&](std::stop_token stop) { reporter.Run(stop); });
  watches.Start();

  int sig = WaitForStopSignal();
  Log(LogLevel::kInfo, "signal_received", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
  watches.Stop();
  loop.request_stop();
  report.request_stop();
  loop.join();
  report.join();
  http.Stop();
  // A controller that is gone for good must not hold every wait=applied at 202: its report
  // goes with it (one that crashed leaves its key; docs/admin-api.md says how to remove it).
  if (Status s = client.Delete(ControllerReportKey(cfg->cluster, cfg->controller_id)); !s.ok()) {
    Log(LogLevel::kWarn, "report_not_removed", {{"error", s.ToString()}});
  }
  return 0;
}
