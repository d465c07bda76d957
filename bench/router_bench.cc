// Bench: the router's own cost without PostgreSQL. A minimal responder (FakePgServer) stands
// behind HAProxy configured as plain TCP, as the router with 10, 10,000 and 100,000 ranges,
// and as the router's configuration with empty Lua actions (the floor any Lua router pays);
// a closed-loop client measures connections/s and HAProxy CPU per connection, and a paced
// client CPU per connection at an equal rate. Prints figures and ratios; never fails on timing.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "bench/router_load.h"
#include "bench/router_setup.h"
#include "haproxy/runtime_client.h"
#include "tests/harness/fake_pg_server.h"
#include "tests/harness/temp_dir.h"

namespace shardgate::bench {
namespace {

using std::chrono::milliseconds;

// HAProxy runs alone on CPU 0; this process (client threads, the responder) on CPU 1.
constexpr int kHaproxyCpu = 0;
constexpr int kClientCpu = 1;
constexpr int kRepeats = 3;
constexpr int kClientThreads = 4;
constexpr int64_t kSegmentWidth = 1000;

struct Config {
  std::string name;
  int ranges = 0;  // 0: plain TCP
};

struct Sample {
  double rate = 0;
  double cpu_us_per_conn = 0;
  double cpu_util = 0;  // HAProxy CPU time / wall time: near 1.0 means HAProxy is the bottleneck
  // At the same paced rate for every configuration (kPacedRate): CPU per connection without
  // the saturation feedback (a slower proxy leaves its clients asleep more often, and waking
  // them across CPUs is kernel time charged to the proxy's sends and closes).
  // (/proc splits user and system time by tick sampling: too coarse to report apart.)
  double paced_cpu_us = 0;
};

// Below the slowest configuration's saturated rate on the 2-vCPU reference machine.
constexpr double kPacedRate = 2500;

// Runs the load and returns HAProxy CPU (user + system) per successful connection in us.
double CpuPerConnection(pid_t pid, const LoadSpec& spec, LoadResult* load) {
  auto before = ProcessCpuTime(pid);
  *load = RunClosedLoop(spec);
  auto after = ProcessCpuTime(pid);
  if (!before.ok() || !after.ok() || load->ok == 0) return 0;
  return static_cast<double>((*after - *before).count()) / static_cast<double>(load->ok);
}

Sample Measure(BenchHaproxy& target, const std::vector<int64_t>& keys, const std::string& label) {
  LoadSpec spec;
  spec.port = target.rw_port;
  spec.keys = keys;
  spec.threads = kClientThreads;
  spec.max_connections = 300;  // warm-up: the first routed connection compiles the new map
  spec.max_duration = milliseconds(3000);
  (void)RunClosedLoop(spec);
  spec.max_connections = 60000;
  spec.max_duration = milliseconds(3000);
  pid_t pid = target.process->pid();
  LoadResult load;
  Sample sample;
  sample.cpu_us_per_conn = CpuPerConnection(pid, spec, &load);
  sample.rate = load.Rate();
  sample.cpu_util = sample.cpu_us_per_conn * sample.rate / 1e6;
  LoadSpec paced = spec;
  paced.paced_rate = kPacedRate;
  paced.max_connections = static_cast<uint64_t>(kPacedRate * 3);
  paced.max_duration = milliseconds(3200);
  LoadResult paced_load;
  sample.paced_cpu_us = CpuPerConnection(pid, paced, &paced_load);
  std::printf("router_bench: %-12s conns=%llu failed=%llu rate=%s/s haproxy_cpu=%s us/conn "
              "haproxy_util=%s | paced %s/s: conns=%llu haproxy_cpu=%s us/conn%s%s\n",
              label.c_str(), static_cast<unsigned long long>(load.ok),
              static_cast<unsigned long long>(load.failed), Fixed(sample.rate, 1).c_str(),
              Fixed(sample.cpu_us_per_conn, 1).c_str(), Fixed(sample.cpu_util, 2).c_str(),
              Fixed(kPacedRate, 0).c_str(), static_cast<unsigned long long>(paced_load.ok),
              Fixed(sample.paced_cpu_us, 1).c_str(),
              load.failed + paced_load.failed > 0 ? " first_failure=" : "",
              load.failed > 0 ? load.first_failure.c_str() : paced_load.first_failure.c_str());
  std::fflush(stdout);
  return sample;
}

// The generator straight against the responder: the most this client side can drive. A proxied
// rate close to it means the client, not HAProxy, limited the measurement.
void PrintClientCeiling(int responder_port) {
  LoadSpec spec;
  spec.port = responder_port;
  spec.threads = kClientThreads;
  spec.keys = {42};
  spec.max_connections = 60000;
  spec.max_duration = milliseconds(3000);
  LoadResult load = RunClosedLoop(spec);
  std::printf("router_bench: direct-to-responder conns=%llu failed=%llu rate=%s/s "
              "(client-side ceiling)\n",
              static_cast<unsigned long long>(load.ok),
              static_cast<unsigned long long>(load.failed), Fixed(load.Rate(), 1).c_str());
}

struct Setup {
  std::unique_ptr<harness::TempDir> dir;
  std::unique_ptr<harness::FakePgServer> responder;
  BenchHaproxy plain;
  BenchHaproxy router;
  BenchHaproxy floor;  // same configuration, Lua actions that do nothing
};

Status StartAll(Setup& s) {
  ASSIGN_OR_RETURN(s.dir, harness::TempDir::Create("shardgate-router-bench"));
  ASSIGN_OR_RETURN(s.responder, harness::FakePgServer::Start(1));
  ASSIGN_OR_RETURN(s.plain, StartPlainHaproxy(s.dir->path() / "plain", s.responder->port()));
  ASSIGN_OR_RETURN(s.router,
                   StartRouterHaproxy(s.dir->path() / "router", s.responder->port(),
                                      EvenSegments(10, kSegmentWidth), milliseconds(5000)));
  RETURN_IF_ERROR(WriteFloorLua(s.dir->path() / "floor_lua"));
  ASSIGN_OR_RETURN(s.floor, StartRouterHaproxy(s.dir->path() / "floor", s.responder->port(),
                                               EvenSegments(10, kSegmentWidth), milliseconds(5000),
                                               s.dir->path() / "floor_lua"));
  for (BenchHaproxy* h : {&s.plain, &s.router, &s.floor}) {
    RETURN_IF_ERROR(PinProcess(h->process->pid(), kHaproxyCpu));
  }
  return Status::Ok();
}

void PrintSummary(const std::map<std::string, std::vector<Sample>>& samples) {
  auto median = [&](const std::string& name, auto field) {
    std::vector<double> values;
    auto found = samples.find(name);
    if (found == samples.end()) return 0.0;
    for (const Sample& s : found->second) values.push_back(field(s));
    return Median(values);
  };
  auto rate = [](const Sample& s) { return s.rate; };
  auto saturated_cpu = [](const Sample& s) { return s.cpu_us_per_conn; };
  auto paced_cpu = [](const Sample& s) { return s.paced_cpu_us; };
  for (const auto& [name, unused] : samples) {
    std::printf("router_bench: median %-12s rate=%s/s haproxy_cpu=%s us/conn | paced: "
                "haproxy_cpu=%s us/conn\n",
                name.c_str(), Fixed(median(name, rate), 1).c_str(),
                Fixed(median(name, saturated_cpu), 1).c_str(),
                Fixed(median(name, paced_cpu), 1).c_str());
  }
  double plain_rate = median("plain", rate);
  std::printf("router_bench: router/plain conn-rate ratio %s (target >= 0.90); empty Lua "
              "actions (lua_floor)/plain %s\n",
              Fixed(median("router_10", rate) / plain_rate, 2).c_str(),
              Fixed(median("lua_floor", rate) / plain_rate, 2).c_str());
  std::printf("router_bench: 100k/10 ranges conn-rate ratio %s (target >= 0.95)\n",
              Fixed(median("router_100k", rate) / median("router_10", rate), 2).c_str());
  auto added = [&](const std::string& name, auto field) {
    if (samples.find(name) == samples.end()) return std::string("-");
    return Fixed(median(name, field) - median("plain", field), 1);
  };
  std::printf("router_bench: router adds %s us HAProxy CPU per connection at 10 ranges, %s at "
              "10k, %s at 100k, at an equal %s conn/s (target <= 50)\n",
              added("router_10", paced_cpu).c_str(), added("router_10k", paced_cpu).c_str(),
              added("router_100k", paced_cpu).c_str(), Fixed(kPacedRate, 0).c_str());
  std::printf("router_bench: of which HAProxy's fixed cost of running two Lua actions "
              "(lua_floor) %s us\n",
              added("lua_floor", paced_cpu).c_str());
  std::printf("router_bench: at saturation (closed loop) the router adds %s us at 10 ranges, %s "
              "at 10k, %s at 100k\n",
              added("router_10", saturated_cpu).c_str(), added("router_10k", saturated_cpu).c_str(),
              added("router_100k", saturated_cpu).c_str());
}

int Run() {
  std::signal(SIGPIPE, SIG_IGN);
  // Children (HAProxy) and threads inherit this; HAProxy is moved to its own CPU after start.
  (void)PinCurrentThread(kClientCpu);
  Setup setup;
  Status started = StartAll(setup);
  if (!started.ok()) {
    std::printf("router_bench: could not start: %s\n", started.ToString().c_str());
    return 1;
  }
  PrintClientCeiling(setup.responder->port());
  haproxy::RuntimeClient client(setup.router.process->socket());
  // lua_floor: ranges -1 marks the floor HAProxy (its map is never used).
  std::vector<Config> configs = {{"plain", 0},
                                 {"lua_floor", -1},
                                 {"router_10", 10},
                                 {"router_10k", 10000},
                                 {"router_100k", 100000}};
  // ROUTER_BENCH_CONFIGS=plain,router_10 runs a subset (quicker A/B runs while tuning).
  if (const char* only = std::getenv("ROUTER_BENCH_CONFIGS"); only != nullptr && *only != '\0') {
    std::string list = "," + std::string(only) + ",";
    std::erase_if(configs, [&](const Config& c) {
      return list.find("," + c.name + ",") == std::string::npos;
    });
  }
  std::map<std::string, std::vector<Sample>> samples;
  int loaded_ranges = 10;
  for (int rep = 1; rep <= kRepeats; ++rep) {
    // Odd repeats run the configurations forward, even ones backward: state that builds up in
    // HAProxy over the run (e.g. cancel-key records) then does not favour one configuration.
    for (size_t i = 0; i < configs.size(); ++i) {
      const Config& config = configs[rep % 2 == 1 ? i : configs.size() - 1 - i];
      int ranges = config.ranges <= 0 ? 10 : config.ranges;
      if (config.ranges > 0 && config.ranges != loaded_ranges) {
        auto pushed = client.PushRangeMap(setup.router.ranges_map_path,
                                          EvenSegments(config.ranges, kSegmentWidth));
        if (!pushed.ok()) {
          std::printf("router_bench: push of %d ranges failed: %s\n", config.ranges,
                      pushed.status().ToString().c_str());
          return 1;
        }
        loaded_ranges = config.ranges;
      }
      BenchHaproxy& target = config.ranges == 0  ? setup.plain
                             : config.ranges < 0 ? setup.floor
                                                 : setup.router;
      samples[config.name].push_back(Measure(target, SpreadKeys(1024, ranges, kSegmentWidth),
                                             config.name + "#" + std::to_string(rep)));
    }
  }
  PrintSummary(samples);
  auto counters = setup.responder->counters();
  std::printf("router_bench: responder accepted=%llu startups=%llu rejected=%llu\n",
              static_cast<unsigned long long>(counters.accepted),
              static_cast<unsigned long long>(counters.startups),
              static_cast<unsigned long long>(counters.rejected));
  return 0;
}

}  // namespace
}  // namespace shardgate::bench

int main() { return shardgate::bench::Run(); }
