// controller_bench part 3: the controller's CPU (share of one core) and RSS while idle and under
// a steady stream of fleet changes, with the dev Consul's CPU over the same windows for context.
#include <cstdio>
#include <thread>

#include "bench/bench_figures.h"
#include "bench/controller_bench_parts.h"
#include "bench/proc_usage.h"
#include "tests/harness/signals.h"

namespace shardgate::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Reading {
  Clock::time_point at;
  ProcUsage controller, consul;
  double rounds = 0;  // reconcile rounds the controller counted so far
};

Result<Reading> Read(ControllerBenchStack& stack) {
  Reading r;
  r.at = Clock::now();
  ASSIGN_OR_RETURN(r.controller, ReadProcUsage(stack.controller->pid()));
  ASSIGN_OR_RETURN(r.consul, ReadProcUsage(stack.consul_dev->pid()));
  ASSIGN_OR_RETURN(std::string metrics, stack.controller->Metrics());
  r.rounds = SumOfSeries(metrics, "shardgate_controller_reconciles_total");
  return r;
}

void PrintWindow(const char* label, const Reading& a, const Reading& b) {
  const double secs = std::chrono::duration<double>(b.at - a.at).count();
  std::printf("  %s, %.1f s: controller CPU %.2f %% of one core, RSS %.1f MiB (%.1f at the start), "
              "%.0f reconcile rounds; dev Consul CPU %.2f %%\n",
              label, secs, CpuPercent(a.controller, b.controller, secs), b.controller.rss_mib,
              a.controller.rss_mib, b.rounds - a.rounds, CpuPercent(a.consul, b.consul, secs));
}

// Publishes the fleet's change cycle at `rate` per second for `seconds`, without waiting for
// HAProxy. Returns how many changes and Consul writes went out.
Result<std::pair<int, int>> Churn(FleetPlayer& fleet, int rate, int seconds) {
  const Clock::time_point start = Clock::now();
  const auto every = std::chrono::microseconds(1'000'000 / std::max(rate, 1));
  int changes = 0, writes = 0;
  for (long i = 0; i < static_cast<long>(rate) * seconds && !harness::ShutdownRequested(); ++i) {
    std::this_thread::sleep_until(start + every * i);
    PlannedChange change = fleet.Plan(i);
    const bool status_changed = change.next.status != fleet.nodes()[change.node].state.status;
    Result<SteadyTime> published = fleet.Publish(change.node, change.next);
    if (!published.ok()) return published.status();
    ++changes;
    writes += status_changed ? 2 : 1;
  }
  const auto rest = start + std::chrono::seconds(seconds) - Clock::now();
  if (rest > Clock::duration::zero()) {
    harness::WaitForShutdown(std::chrono::duration_cast<milliseconds>(rest));
  }
  return std::pair{changes, writes};
}

}  // namespace

Status RunUsage(ControllerBenchStack& stack, const ControllerBenchFlags& flags) {
  std::printf(
      "controller_bench part 3: controller CPU and RSS (%d shards x %d nodes, %zu servers), "
      "idle and under %d changes/s\n",
      flags.shards, flags.nodes, 2 * stack.fleet->nodes().size(), flags.rate);
  RETURN_IF_ERROR(WaitFleetApplied(stack, milliseconds(30000)));
  ASSIGN_OR_RETURN(Reading idle_start, Read(stack));
  if (harness::WaitForShutdown(std::chrono::seconds(flags.phase_seconds))) return Status::Ok();
  ASSIGN_OR_RETURN(Reading idle_end, Read(stack));
  PrintWindow("idle", idle_start, idle_end);
  ASSIGN_OR_RETURN(auto sent, Churn(*stack.fleet, flags.rate, flags.phase_seconds));
  if (harness::ShutdownRequested()) return Status::Ok();
  ASSIGN_OR_RETURN(Reading churn_end, Read(stack));
  char label[80];
  std::snprintf(label, sizeof label, "%d changes (%d Consul writes)", sent.first, sent.second);
  PrintWindow(label, idle_end, churn_end);
  const Clock::time_point last = Clock::now();
  Status caught_up = WaitFleetApplied(stack, milliseconds(10000), milliseconds(1));
  std::printf("  HAProxy matched the fleet %.1f ms after the window%s\n",
              std::chrono::duration<double, std::milli>(Clock::now() - last).count(),
              caught_up.ok() ? "" : " (timed out: it did not)");
  return Status::Ok();
}

}  // namespace shardgate::bench
