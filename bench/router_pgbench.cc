// Bench: `pgbench -n -S -C -c 8 -T 10` (a new connection per transaction) against shard_1's
// primary directly, through plain-TCP HAProxy, and through the router. Prints tps and ratios;
// never fails on timing.
#include <csignal>
#include <cstdio>
#include <regex>
#include <string>
#include <vector>

#include "bench/router_load.h"
#include "bench/router_setup.h"
#include "tests/harness/process.h"
#include "tests/harness/stack.h"

namespace shardgate::bench {
namespace {

using std::chrono::seconds;

constexpr int kDurationSeconds = 10;
constexpr int kRounds = 2;

struct Target {
  std::string name;
  int port = 0;
  std::string pgoptions;
};

// tps from pgbench's summary ("tps = 257.1 (without initial connection time)").
Result<double> RunPgbench(const Target& target) {
  std::vector<std::string> argv = {
      "pgbench", "-n",        "-S",      "-C",
      "-c",      "8",         "-T",      std::to_string(kDurationSeconds),
      "-h",      "127.0.0.1", "-p",      std::to_string(target.port),
      "-U",      "postgres",  "postgres"};
  ASSIGN_OR_RETURN(auto run, harness::RunCommand(argv, {{"PGOPTIONS", target.pgoptions}},
                                                 seconds(kDurationSeconds + 30)));
  std::smatch match;
  static const std::regex kTps(R"(tps = ([0-9.]+))");
  if (run.exit_code != 0 || !std::regex_search(run.out, match, kTps)) {
    return Internal("pgbench failed: " + run.err.substr(0, 400));
  }
  return std::stod(match[1]);
}

Status InitPgbench(int port) {
  ASSIGN_OR_RETURN(auto init,
                   harness::RunCommand({"pgbench", "-i", "-q", "-s", "1", "-h", "127.0.0.1", "-p",
                                        std::to_string(port), "-U", "postgres", "postgres"},
                                       {}, seconds(120)));
  if (init.exit_code != 0) return Internal("pgbench -i failed: " + init.err.substr(0, 400));
  return Status::Ok();
}

int Run() {
  std::signal(SIGPIPE, SIG_IGN);
  harness::StackOptions options;
  options.shards = {"shard_1"};
  options.replicas = 0;
  options.segments = {{0, 9999, "shard_1"}};
  auto stack = harness::Stack::Start(options);
  if (!stack.ok()) {
    std::printf("router_pgbench: could not start the stack: %s\n",
                stack.status().ToString().c_str());
    return 1;
  }
  int primary_port = (*stack)->Primary("shard_1").port();
  auto plain = StartPlainHaproxy((*stack)->dir() / "plain", primary_port);
  Status ready = plain.ok() ? InitPgbench(primary_port) : plain.status();
  if (!ready.ok()) {
    std::printf("router_pgbench: set-up failed: %s\n", ready.ToString().c_str());
    return 1;
  }
  const std::vector<Target> targets = {{"direct", primary_port, ""},
                                       {"plain_haproxy", plain->rw_port, ""},
                                       {"router", (*stack)->rw_port(), "-c shardgate.key=42"}};
  // Rounds alternate the order, so drift of a noisy machine does not favour one target.
  std::vector<double> tps(targets.size(), 0);
  for (int round = 0; round < kRounds; ++round) {
    for (size_t i = 0; i < targets.size(); ++i) {
      const Target& target = targets[round % 2 == 0 ? i : targets.size() - 1 - i];
      auto result = RunPgbench(target);
      std::printf("router_pgbench: round %d %-14s tps=%s%s\n", round + 1, target.name.c_str(),
                  Fixed(result.ok() ? *result : 0, 1).c_str(),
                  result.ok() ? "" : (" error=" + result.status().ToString()).c_str());
      std::fflush(stdout);
      tps[round % 2 == 0 ? i : targets.size() - 1 - i] += result.ok() ? *result / kRounds : 0;
    }
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    std::printf("router_pgbench: mean %-14s tps=%s\n", targets[i].name.c_str(),
                Fixed(tps[i], 1).c_str());
  }
  if (tps[0] > 0 && tps[1] > 0) {
    std::printf("router_pgbench: plain/direct tps ratio %s\n", Fixed(tps[1] / tps[0], 2).c_str());
    std::printf("router_pgbench: router/direct tps ratio %s\n", Fixed(tps[2] / tps[0], 2).c_str());
    std::printf("router_pgbench: router/plain tps ratio %s\n", Fixed(tps[2] / tps[1], 2).c_str());
  }
  return 0;
}

}  // namespace
}  // namespace shardgate::bench

int main() { return shardgate::bench::Run(); }
