// Bench: `pgbench -n -S -C -c 8 -T 10` (a new connection per transaction) against shard_1's
// primary directly, through plain-TCP HAProxy, and through the router. Prints tps and ratios;
// never fails on timing.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/pgbench_runs.h"
#include "bench/router_load.h"
#include "bench/router_setup.h"
#include "tests/harness/stack.h"

namespace shardgate::bench {
namespace {

constexpr int kClients = 8;
constexpr int kDurationSeconds = 10;
constexpr int kRounds = 2;

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
  const std::vector<PgbenchTarget> targets = {{"direct", primary_port, "", ""},
                                              {"plain_haproxy", plain->rw_port, "", ""},
                                              {"router", (*stack)->rw_port(), "-c shardgate.key=42",
                                               ""}};
  std::vector<double> tps = RunPgbenchRounds("router_pgbench", targets, kRounds, kClients,
                                             kDurationSeconds);
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
