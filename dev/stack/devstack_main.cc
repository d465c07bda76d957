// shardgate-devstack: the local stack behind `make run` (foreground), `make start|stop`
// (background).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "common/file.h"
#include "controller/kv_layout.h"
#include "tests/harness/haproxy_process.h"
#include "tests/harness/ports.h"
#include "tests/harness/process.h"
#include "tests/harness/signals.h"
#include "tests/harness/stack.h"

namespace shardgate::harness {
namespace {

constexpr int kDefaultRwPort = 6432;
constexpr int kDefaultRoPort = 6433;
constexpr int kDefaultStatsPort = 8404;
constexpr int kDefaultConsulPort = 8500;
constexpr int kDefaultAdminPort = 9640;   // the demo's documented admin API port
constexpr int kCurlExamplePort = 8080;    // the controller's default port, also served when free
constexpr const char* kCluster = "demo";  // agents' cluster; Consul service "shardgate-demo"
constexpr auto kStartTimeout = std::chrono::minutes(4);
constexpr auto kStopTimeout = std::chrono::minutes(2);

// Everything lives under <repo>/.run: the repo is $SHARDGATE_SOURCE_DIR or the current directory.
std::filesystem::path RunDir() {
  const char* env = std::getenv("SHARDGATE_SOURCE_DIR");
  std::filesystem::path repo = env != nullptr && *env != '\0' ? std::filesystem::path(env)
                                                              : std::filesystem::current_path();
  return repo / ".run";
}

std::filesystem::path PidFile() { return RunDir() / "devstack.pid"; }
std::filesystem::path LogFile() { return RunDir() / "devstack.log"; }
std::filesystem::path EnvFile() { return RunDir() / "stack.env"; }

// The pid of a live devstack recorded in the pid file, or 0.
pid_t RunningPid() {
  std::ifstream in(PidFile());
  long pid = 0;
  if (!(in >> pid) || pid <= 0 || pid == getpid()) return 0;
  return PidAlive(static_cast<pid_t>(pid)) ? static_cast<pid_t>(pid) : 0;
}

bool RefuseIfRunning() {
  pid_t pid = RunningPid();
  if (pid == 0) return false;
  std::cerr << "shardgate-devstack: the stack is already running (pid " << pid
            << "); `make stop` stops it, `cat " << EnvFile().string() << "` shows it\n";
  return true;
}

// A fixed default port when free, else a free one (and say so).
int ChoosePort(int wanted, const char* what) {
  if (PortIsFree(wanted)) return wanted;
  Result<int> port = FreePort();
  int chosen = port.ok() ? *port : 0;
  std::cout << "port " << wanted << " (" << what << ") is taken; using " << chosen << " instead\n";
  return chosen;
}

StackOptions DemoOptions() {
  StackOptions o;
  o.shards = {"shard_1", "shard_2", "shard_3"};
  o.replicas = 1;
  o.segments = {{0, 4999, "shard_1"}, {5000, 9999, "shard_2"}};
  // Room for two shards added while the stack runs (docs/router.md, "Backends").
  o.spare_backends = 2;
  o.rw_port = ChoosePort(kDefaultRwPort, "read-write");
  o.ro_port = ChoosePort(kDefaultRoPort, "read-only");
  o.stats_port = ChoosePort(kDefaultStatsPort, "stats");
  o.consul = true;
  o.consul_port = ChoosePort(kDefaultConsulPort, "Consul dev server");
  o.agents = true;
  o.controller = true;
  o.controller_port = ChoosePort(kDefaultAdminPort, "controller admin API");
  // The admin API docs' curl lines use the controller's default port: serve it too when free.
  if (PortIsFree(kCurlExamplePort)) o.controller_extra_ports = {kCurlExamplePort};
  o.cluster = kCluster;
  o.parent_dir = RunDir();
  // TLS on both ports with a throwaway CA (not required: clear-text psql lines work too).
  o.tls = true;
  return o;
}

// The banner's Consul, agent and controller lines.
void PrintControlPlane(Stack& stack, std::ostream& out) {
  out << "  consul       http://" << stack.consul()->address()
      << "  (shardgate-consul-dev, in memory; service " << stack.consul_service() << ")\n"
      << "  agents       /metrics at";
  for (PgNode* n : stack.Nodes()) {
    out << " " << n->cluster_name() << "=" << stack.Agent(*n)->metrics_port();
  }
  out << "\n  admin API    " << stack.controller()->url();
  for (int port : stack.controller()->options().extra_listen_ports) {
    out << " and http://127.0.0.1:" << port;
  }
  out << "  (shardgate-controller: /api/v1/..., /metrics, /healthz, /readyz; "
         "$SHARDGATE_ADMIN_URL)\n";
}

// The admin API address of the docs' curl examples (8080) when the stack serves it, else 9640's.
std::string AdminUrlForCurl(Stack& stack) {
  const std::vector<int>& extra = stack.controller()->options().extra_listen_ports;
  return extra.empty() ? stack.controller()->url()
                       : "http://127.0.0.1:" + std::to_string(extra.front());
}

void PrintBanner(Stack& stack) {
  PgNode* first = stack.Nodes().front();
  std::ostringstream out;
  out << "\nshardgate dev stack is up: 3 shards, primary n1 + streaming replica n2 each\n"
      << "  read-write   127.0.0.1:" << stack.rw_port() << "\n"
      << "  read-only    127.0.0.1:" << stack.ro_port() << "\n"
      << "  stats        " << stack.stats_url() << "\n"
      << "  runtime API  " << stack.config_spec().socket_path << "\n"
      << "  TLS          on both ports (SSLRequest and PostgreSQL 17 direct TLS); CA "
      << stack.tls_ca().string() << "\n"
      << "  range map    0..4999 -> shard_1, 5000..9999 -> shard_2, shard_3 has no range\n"
      << "               (rules in Consul KV " << controller::RulesKey(kCluster)
      << ", applied by the controller)\n"
      << "  nodes       ";
  for (PgNode* n : stack.Nodes()) {
    out << " " << n->cluster_name() << "=" << n->port();
  }
  out << "\n";
  PrintControlPlane(stack, out);
  out << "  env file     " << EnvFile().string() << "  (source it in scripts)\n"
      << "  logs         " << stack.dir().string() << "/*/{postgresql,agent}.log, "
      << stack.haproxy()->log_path().string() << ", " << stack.dir().string()
      << "/{consul,controller}.log\n\nTry:\n"
      << "  PGOPTIONS='-c shardgate.key=42' psql -h 127.0.0.1 -p " << stack.rw_port()
      << " -U postgres postgres -c \"show cluster_name\"\n"
      << "  PGOPTIONS='-c shardgate.key=7000' psql -h 127.0.0.1 -p " << stack.ro_port()
      << " -U postgres postgres -c \"show cluster_name\"\n"
      << "Over TLS, checking the certificate ($SHARDGATE_TLS_CA is the demo's throwaway CA):\n"
      << "  PGOPTIONS='-c shardgate.key=42' psql \"host=localhost port=" << stack.rw_port()
      << " user=postgres dbname=postgres sslmode=verify-full sslrootcert="
      << stack.tls_ca().string() << "\" -c '\\conninfo'\n"
      << "  curl -s 'http://" << stack.consul()->address() << "/v1/health/service/"
      << stack.consul_service() << "?passing&pretty'\n"
      << "  curl -s http://127.0.0.1:" << stack.Agent(*first)->metrics_port() << "/metrics   # "
      << first->cluster_name() << "'s agent\n"
      << "  curl -s " << stack.controller()->url() << "/metrics   # the controller\n"
      << "Move keys 1000..2000 to shard_3 for an hour, then see key 1500 answered there:\n"
      << "  curl -X POST " << AdminUrlForCurl(stack)
      << "/api/v1/routing-map -H 'Content-Type: application/json' -d '{\"partition_key_range\": "
         "\"1000-2000\", \"target_backend\": \"shard_3\", \"ttl\": 3600}'\n"
      << "  PGOPTIONS='-c shardgate.key=1500' psql -h 127.0.0.1 -p " << stack.rw_port()
      << " -U postgres postgres -c \"show cluster_name\"   # shard_3/n1\n"
      << "  curl -s " << AdminUrlForCurl(stack) << "/api/v1/routing-map/versions   # history; "
      << "POST /api/v1/routing-map/rollback undoes (docs/admin-api.md)\n";
  std::cout << out.str() << std::flush;
}

void Cleanup() {
  std::error_code ec;
  std::filesystem::remove(EnvFile(), ec);
  std::filesystem::remove(PidFile(), ec);
}

// Starts the stack and blocks until SIGINT/SIGTERM (or a component dies). `ready_fd` (>= 0 when
// started by `start`) gets one byte once the stack is ready and is then closed.
int Run(int ready_fd) {
  InstallShutdownHandlers();
  std::filesystem::create_directories(RunDir());
  if (RefuseIfRunning()) return 1;
  std::ofstream(PidFile()) << getpid() << "\n";
  std::cout << "starting 3 shards (initdb, base backups), HAProxy, the Consul dev server, an "
               "agent per node and the controller under "
            << RunDir().string() << " ..." << std::endl;
  Result<std::unique_ptr<Stack>> stack = Stack::Start(DemoOptions());
  if (!stack.ok()) {
    std::cerr << "shardgate-devstack: start failed: " << stack.status().ToString() << "\n";
    Cleanup();
    return 1;
  }
  Status st = (*stack)->WriteEnvFile(EnvFile());
  if (!st.ok()) std::cerr << "shardgate-devstack: " << st.ToString() << "\n";
  if (!ShutdownRequested()) {
    PrintBanner(**stack);
    std::cout << (ready_fd >= 0 ? "`make stop` stops it.\n" : "Ctrl-C stops everything.\n")
              << std::flush;
    if (ready_fd >= 0) {
      (void)!write(ready_fd, "r", 1);
      close(ready_fd);
    }
  }
  int rc = 0;
  while (!WaitForShutdown(std::chrono::seconds(1))) {
    if (std::string exited = (*stack)->ExitedComponent(); !exited.empty()) {
      std::cerr << "shardgate-devstack: " << exited << " exited unexpectedly; stopping\n";
      rc = 1;
      break;
    }
  }
  std::cout << "stopping the stack ..." << std::endl;
  stack->reset();
  Cleanup();
  std::cout << "stopped; nothing left running" << std::endl;
  return rc;
}

// Waits for the background child's ready byte; false on EOF (it failed) or timeout.
bool WaitReady(int fd) {
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  struct pollfd pfd = {fd, POLLIN, 0};
  while (std::chrono::steady_clock::now() < deadline) {
    int r = poll(&pfd, 1, 1000);
    if (r < 0 && errno != EINTR) return false;
    if (r <= 0) continue;
    char c;
    return read(fd, &c, 1) == 1;
  }
  return false;
}

int Start() {
  std::filesystem::create_directories(RunDir());
  if (RefuseIfRunning()) return 1;
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return 1;
  pid_t pid = fork();
  if (pid < 0) return 1;
  if (pid == 0) {
    close(ready[0]);
    setsid();
    int log = open(LogFile().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    dup2(log, 1);
    dup2(log, 2);
    _exit(Run(ready[1]));
  }
  close(ready[1]);
  std::cout << "starting the stack in the background (log: " << LogFile().string() << ") ..."
            << std::endl;
  if (!WaitReady(ready[0])) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
    std::cerr << "shardgate-devstack: the stack did not come up; log tail:\n"
              << TailOfFile(LogFile(), 40);
    return 1;
  }
  Result<std::string> log = ReadFile(LogFile());
  std::cout << (log.ok() ? *log : "") << "running in the background, pid " << pid << std::endl;
  return 0;
}

int Stop() {
  pid_t pid = RunningPid();
  if (pid == 0) {
    std::cout << "shardgate-devstack: not running\n";
    Cleanup();
    return 0;
  }
  std::cout << "stopping the stack (pid " << pid << ") ..." << std::endl;
  kill(pid, SIGTERM);
  if (!WaitPidGone(pid, kStopTimeout)) {
    std::cerr << "shardgate-devstack: pid " << pid << " still running after "
              << kStopTimeout.count() << " min; see " << LogFile().string() << "\n";
    return 1;
  }
  std::cout << "stopped" << std::endl;
  return 0;
}

int PrintStatus() {
  pid_t pid = RunningPid();
  if (pid == 0) {
    std::cout << "not running\n";
    return 3;
  }
  Result<std::string> env = ReadFile(EnvFile());
  std::cout << "running, pid " << pid << "\n" << (env.ok() ? *env : "");
  return 0;
}

}  // namespace
}  // namespace shardgate::harness

int main(int argc, char** argv) {
  namespace h = shardgate::harness;
  // The Consul dev server, the agents and the controller of the build this program belongs to.
  setenv("SHARDGATE_BINARY_DIR", SHARDGATE_DEFAULT_BINARY_DIR, /*overwrite=*/0);
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "run") return h::Run(-1);
  if (cmd == "start") return h::Start();
  if (cmd == "stop") return h::Stop();
  if (cmd == "status") return h::PrintStatus();
  std::cerr << "usage: shardgate-devstack run|start|stop|status\n"
               "  run     start the local stack in the foreground; Ctrl-C stops it\n"
               "  start   the same in the background (pid in .run/devstack.pid)\n"
               "  stop    stop the background (or foreground) stack\n"
               "  status  say whether it runs and print .run/stack.env\n";
  return 2;
}
