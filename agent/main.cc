// shardgate-agent: probes one PostgreSQL node and publishes its health, role, lag and weight to
// the local Consul agent. Configuration: docs/agent.md.
#include <signal.h>

#include <cstdio>
#include <random>
#include <stop_token>
#include <thread>

#include "agent/agent_check_server.h"
#include "agent/config.h"
#include "agent/metrics_server.h"
#include "agent/pg_probe.h"
#include "agent/runner.h"
#include "common/file.h"
#include "common/log.h"
#include "common/sleeper.h"
#include "common/stop_signals.h"
#include "consul/config.h"
#include "consul/curl_transport.h"

namespace {

using namespace shardgate;
using namespace shardgate::agent;

void PrintHelp() {
  std::printf("usage: shardgate-agent [--config FILE] [--KEY=VALUE ...]\n"
              "keys (also SHARDGATE_AGENT_<KEY> in the environment, or KEY = VALUE in FILE):\n");
  for (const std::string& key : ConfigKeys()) std::printf("  %s\n", key.c_str());
  std::printf(
      "Consul: CONSUL_HTTP_ADDR, CONSUL_HTTP_TOKEN / CONSUL_HTTP_TOKEN_FILE, CONSUL_CACERT.\n"
      "PostgreSQL password: PGPASSWORD or PGPASSFILE (never on the command line).\n");
}

// Servers are optional; each returns false (after logging) when it cannot start.
template <typename Server>
bool StartServer(Server& server, const std::string& key, const std::string& listen) {
  if (listen.empty()) return true;
  auto hp = ParseListen(key, listen);
  Status s = hp.ok() ? server.Start(hp->first, hp->second) : hp.status();
  if (!s.ok()) {
    Log(LogLevel::kError, "listen_failed", {{"key", key}, {"error", s.ToString()}});
    return false;
  }
  Log(LogLevel::kInfo, "listening", {{"key", key}, {"port", std::to_string(server.port())}});
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    PrintHelp();
    return 0;
  }
  ConfigSources sources = ProcessConfigSources(argc, argv);
  auto cfg = LoadConfig(sources);
  if (!cfg.ok()) return ConfigError(cfg.status().message());
  // Everything goes to the local agent: short budgets keep a hung Consul from delaying the
  // publisher (and so the SIGTERM withdrawal) for long.
  auto ccfg = consul::DaemonClientConfig(cfg->consul_address, cfg->consul_timeout);
  if (!ccfg.ok()) return ConfigError(ccfg.status().message());
  SetLogLevel(cfg->log_level);

  // Before any thread starts: only the signal thread below takes SIGINT and SIGTERM.
  BlockStopSignals();

  auto transport = consul::CurlTransport::Create(
      {ccfg->address, ccfg->ca_file, ccfg->connect_timeout});
  if (!transport.ok()) return ConfigError(transport.status().message());
  consul::Client client(**transport, *ccfg);
  SystemClock clock;
  PgProbe probe(clock, cfg->pg_conninfo, cfg->connect_timeout);
  std::unique_ptr<PoolProbe> pool;
  if (!cfg->pgbouncer_conninfo.empty()) {
    pool = std::make_unique<PoolProbe>(clock, cfg->pgbouncer_conninfo, cfg->pgbouncer_database,
                                       cfg->connect_timeout);
  }
  PublisherConfig pcfg = cfg->publish;
  pcfg.jitter_seed = std::random_device{}();
  Publisher publisher(client, clock, pcfg);
  StateBoard board;
  MetricsServer metrics(board);
  AgentCheckServer agent_check(board);
  if (!StartServer(metrics, "metrics_listen", cfg->metrics_listen) ||
      !StartServer(agent_check, "agent_check_listen", cfg->agent_check_listen)) {
    return kExitRuntime;
  }
  std::stop_source stop;
  std::thread signals([&] {
    int sig = WaitForStopSignal();
    Log(LogLevel::kInfo, "signal_received", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"}});
    stop.request_stop();  // wakes the probe loop's sleep and the publisher's wait at once
  });
  Log(LogLevel::kInfo, "agent_started",
      {{"service_id", ServiceId(pcfg)},
       {"service", pcfg.service_name},
       {"consul", ccfg->address},
       {"interval_ms", std::to_string(cfg->interval.count())}});
  RealSleeper sleeper;
  Status s = RunAgent(*cfg, clock, sleeper, probe, pool.get(), publisher, board, stop.get_token());
  signals.join();
  metrics.Stop();
  agent_check.Stop();
  return s.ok() ? 0 : kExitRuntime;
}
