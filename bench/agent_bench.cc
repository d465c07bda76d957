// agent_bench: how fast a killed PostgreSQL node shows as critical in Consul through
// shardgate-agent, side by side with HAProxy's own `check` and HAProxy reading the agent's
// agent-check, on the same node in the same run; plus the agent's CPU and RSS at a 100 ms
// interval and its Consul writes per minute in steady state. Prints figures; never fails on timing.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/file.h"
#include "consul/client.h"
#include "consul/curl_transport.h"
#include "tests/harness/agent_process.h"
#include "tests/harness/consul_dev_process.h"
#include "tests/harness/haproxy_process.h"
#include "tests/harness/pg_node.h"
#include "tests/harness/ports.h"
#include "tests/harness/temp_dir.h"

namespace {

using namespace shardgate;
using namespace shardgate::harness;
using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr int kTrials = 20;
constexpr auto kBudget = std::chrono::minutes(3);

// A bench that cannot set itself up says why and exits 1 (bench/run.sh reports it).
template <typename T>
void Require(const Result<T>& result, const char* what) {
  if (result.ok()) return;
  std::fprintf(stderr, "agent_bench: %s: %s\n", what, result.status().ToString().c_str());
  std::exit(1);
}

std::string HaproxyConfig(const std::string& dir, int pg_port, int agent_check_port, int fe_port) {
  std::ostringstream c;
  c << "global\n  stats socket " << dir << "/admin.sock mode 600 level admin\n"
    << "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 30s\n  timeout server 30s\n"
    << "frontend fe\n  bind 127.0.0.1:" << fe_port << "\n  default_backend by_check\n"
    << "backend by_check\n  server n1 127.0.0.1:" << pg_port << " check inter 250 fall 3 rise 2\n"
    << "backend by_agent\n  server n1 127.0.0.1:" << pg_port << " agent-check agent-port "
    << agent_check_port << " agent-inter 250\n";
  return c.str();
}

// `show stat` status column ("UP", "DOWN", "DRAIN", "UP 1/2", ...) of <backend>/n1.
std::string HaproxyStatus(HaproxyProcess& haproxy, const std::string& backend) {
  auto stat = haproxy.Runtime("show stat");
  if (!stat.ok()) return "?";
  std::istringstream lines(*stat);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(backend + ",n1,")) continue;
    std::vector<std::string> cols;
    std::stringstream fields(line);
    for (std::string f; std::getline(fields, f, ',');) cols.push_back(f);
    return cols.size() > 17 ? cols[17] : "?";
  }
  return "?";
}

bool ConsulCritical(consul::Client& client, const std::string& check_id, bool* passing) {
  auto entries = client.HealthService("shardgate-orders", false);
  *passing = false;
  if (!entries.ok()) return false;
  for (const auto& e : entries->value) {
    for (const auto& c : e.checks) {
      if (c.check_id != check_id) continue;
      *passing = c.status == consul::CheckStatus::kPassing;
      return c.status == consul::CheckStatus::kCritical;
    }
  }
  return false;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

struct Latencies {
  std::vector<double> agent, check, agent_check;
};

// One trial: all three observers healthy, kill the node, time each observer's detection.
void Trial(PgNode& node, consul::Client& client, AgentProcess& agent, HaproxyProcess& haproxy,
           Latencies* out) {
  auto ready_deadline = Clock::now() + seconds(15);
  bool passing = false;
  while (Clock::now() < ready_deadline) {
    ConsulCritical(client, agent.check_id(), &passing);
    // A server with only agent-check shows "no check" while up.
    std::string by_agent = HaproxyStatus(haproxy, "by_agent");
    if (passing && HaproxyStatus(haproxy, "by_check") == "UP" &&
        (by_agent == "UP" || by_agent == "no check"))
      break;
    std::this_thread::sleep_for(milliseconds(20));
  }
  if (Clock::now() >= ready_deadline) {
    std::fprintf(
        stderr,
        "agent_bench: not all observers healthy before the trial: consul %s, check %s, agent-check %s\n",
        passing ? "passing" : "not passing", HaproxyStatus(haproxy, "by_check").c_str(),
        HaproxyStatus(haproxy, "by_agent").c_str());
  }
  auto t0 = Clock::now();
  if (!node.Stop(PgStopMode::kImmediate).ok()) return;
  double agent_ms = -1, check_ms = -1, agent_check_ms = -1;
  while (Clock::now() < t0 + seconds(5) && (agent_ms < 0 || check_ms < 0 || agent_check_ms < 0)) {
    double now = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (agent_ms < 0 && ConsulCritical(client, agent.check_id(), &passing)) agent_ms = now;
    if (check_ms < 0 && HaproxyStatus(haproxy, "by_check").starts_with("DOWN")) check_ms = now;
    if (agent_check_ms < 0 && HaproxyStatus(haproxy, "by_agent").starts_with("DOWN"))
      agent_check_ms = now;
    std::this_thread::sleep_for(milliseconds(5));
  }
  if (agent_ms >= 0) out->agent.push_back(agent_ms);
  if (check_ms >= 0) out->check.push_back(check_ms);
  if (agent_check_ms >= 0) out->agent_check.push_back(agent_check_ms);
  (void)node.Start();
}

void Report(const char* name, const std::vector<double>& v) {
  std::printf("  %-40s n=%2zu  p50 %6.0f ms  p99 %6.0f ms\n", name, v.size(), Percentile(v, 0.5),
              Percentile(v, 0.99));
}

// utime+stime of a pid in clock ticks, and VmRSS in KiB.
std::pair<long, long> CpuAndRss(pid_t pid) {
  Result<std::string> s = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  if (!s.ok() || s->rfind(')') == std::string::npos) return {0, 0};
  std::istringstream rest(s->substr(s->rfind(')') + 2));
  std::vector<std::string> f;
  for (std::string x; rest >> x;) f.push_back(x);
  long ticks = f.size() > 12 ? std::stol(f[11]) + std::stol(f[12]) : 0;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  long rss = 0;
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) rss = std::stol(line.substr(6));
  }
  return {ticks, rss};
}

}  // namespace

int main() {
  setenv("SHARDGATE_BINARY_DIR", SHARDGATE_DEFAULT_BINARY_DIR, /*overwrite=*/0);
  auto started = Clock::now();
  auto dir = TempDir::Create("shardgate-agent-bench");
  Require(dir, "temp dir");
  auto node = PgNode::StartPrimary({"n1", "shard_1/n1", (*dir)->path(), 0});
  Require(node, "PostgreSQL node");
  auto dev = ConsulDev::Start({});
  Require(dev, "shardgate-consul-dev");
  consul::ClientConfig ccfg;
  ccfg.address = "http://" + (*dev)->address();
  ccfg.request_timeout = seconds(2);
  auto transport = consul::CurlTransport::Create({ccfg.address, "", milliseconds(500)});
  Require(transport, "Consul transport");
  consul::Client client(**transport, ccfg);

  AgentProcessOptions o;
  o.node = "n1";
  o.pg_port = (*node)->port();
  o.consul_address = (*dev)->address();
  o.extra_args = {"--interval=250ms", "--fall=3", "--rise=2", "--ttl=3s"};
  auto agent = AgentProcess::Start(o);
  Require(agent, "shardgate-agent");
  auto fe = FreePort();
  Require(fe, "free port");
  HaproxyOptions h;
  h.dir = (*dir)->path();
  h.config_text = HaproxyConfig(h.dir.string(), (*node)->port(), (*agent)->agent_check_port(), *fe);
  h.socket_path = (h.dir / "admin.sock").string();
  h.tcp_ports = {*fe};
  auto haproxy = HaproxyProcess::Start(h);
  Require(haproxy, "haproxy");

  std::printf(
      "agent_bench: node killed (pg_ctl -m immediate) -> seen down; interval 250 ms, fall 3\n");
  Latencies lat;
  int trials = 0;
  for (; trials < kTrials && Clock::now() - started < kBudget - std::chrono::seconds(45);
       ++trials) {
    Trial(**node, client, **agent, **haproxy, &lat);
  }
  std::printf("  trials: %d\n", trials);
  Report("shardgate-agent -> Consul critical", lat.agent);
  Report("HAProxy check (inter 250 fall 3)", lat.check);
  Report("HAProxy agent-check -> shardgate-agent", lat.agent_check);
  if (!lat.check.empty() && !lat.agent.empty()) {
    std::printf("  ratio agent/HAProxy check: p50 %.2fx  p99 %.2fx\n",
                Percentile(lat.agent, 0.5) / Percentile(lat.check, 0.5),
                Percentile(lat.agent, 0.99) / Percentile(lat.check, 0.99));
  }
  (*agent).reset();

  // Steady state at 100 ms: CPU, RSS and Consul writes (registrations + check updates).
  o.extra_args = {"--interval=100ms", "--ttl=10s"};
  auto fast = AgentProcess::Start(o);
  Require(fast, "shardgate-agent (100 ms)");
  std::this_thread::sleep_for(seconds(2));
  auto [cpu0, rss0] = CpuAndRss((*fast)->pid());
  double w0 = *(*fast)->Metric("shardgate_agent_consul_registrations_total") +
              *(*fast)->Metric("shardgate_agent_consul_check_updates_total");
  double p0 = *(*fast)->Metric("shardgate_agent_probes_total");
  constexpr int kSteadySeconds = 30;
  std::this_thread::sleep_for(seconds(kSteadySeconds));
  auto [cpu1, rss1] = CpuAndRss((*fast)->pid());
  double w1 = *(*fast)->Metric("shardgate_agent_consul_registrations_total") +
              *(*fast)->Metric("shardgate_agent_consul_check_updates_total");
  double p1 = *(*fast)->Metric("shardgate_agent_probes_total");
  double cpu_pct = 100.0 * static_cast<double>(cpu1 - cpu0) /
                   static_cast<double>(sysconf(_SC_CLK_TCK)) / kSteadySeconds;
  std::printf("agent at interval 100 ms, %d s steady state:\n", kSteadySeconds);
  std::printf("  probes/s %.1f  CPU %.2f %%  RSS %ld KiB\n", (p1 - p0) / kSteadySeconds, cpu_pct,
              rss1);
  std::printf(
      "  Consul writes/min %.1f (probes/min %.0f; heartbeat = ttl/3 = 3.3 s -> 18/min expected)\n",
      (w1 - w0) * 60.0 / kSteadySeconds, (p1 - p0) * 60.0 / kSteadySeconds);
  std::printf("agent_bench: total %.0f s\n",
              std::chrono::duration<double>(Clock::now() - started).count());
  return 0;
}
