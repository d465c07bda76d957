// controller_bench part 1: one change in Consul (a replica's weight, or its check passing <->
// critical, published as the agent does) -> HAProxy shows it; beside it the Consul round trip
// itself (the same write -> a blocking query on the service returns it) and the controller's own
// histograms.
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <thread>

#include "bench/bench_figures.h"
#include "bench/controller_bench_parts.h"
#include "common/sleeper.h"
#include "consul/watch.h"
#include "controller/fleet_view.h"
#include "tests/harness/signals.h"

namespace shardgate::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kChangeTimeout{5000};
constexpr auto kBudget = std::chrono::minutes(4);

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// The bench's own blocking query on the fleet's service (no rate limit): when Consul tells a
// watcher about an expected record. Thread-safety: Expect/WaitSeen from one thread.
class ConsulNotifyProbe {
 public:
  ConsulNotifyProbe(consul::Client& client, const std::string& service)
      : watcher_(clock_, sleeper_, Options(), consul::HealthQuery(client, service, false),
                 {[this](const std::vector<consul::ServiceEntry>& entries,
                         const consul::QueryMeta&) { OnFleet(entries); }}) {
    watcher_.Start();
  }
  ~ConsulNotifyProbe() { watcher_.Stop(); }

  // Waits for the first answer (the state before any change).
  bool WaitFirstAnswer(milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return answers_ > 0; });
  }
  // From now on, the first answer in which the node shows `state`'s status and weight counts.
  void Expect(const agent::PublisherConfig& node, const agent::NodeState& state) {
    std::lock_guard lock(mu_);
    shard_ = node.shard;
    node_ = node.node;
    expected_ = state;
    seen_.reset();
  }
  std::optional<Clock::time_point> WaitSeen(milliseconds timeout) {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, timeout, [&] { return seen_.has_value(); });
    return seen_;
  }

 private:
  static consul::WatchOptions Options() {
    consul::WatchOptions o;
    o.wait = seconds(30);
    o.rate_burst = 1e9;  // the peer measures Consul, not a limiter
    o.rate_interval = milliseconds(1);
    return o;
  }
  void OnFleet(const std::vector<consul::ServiceEntry>& entries) {
    const Clock::time_point at = Clock::now();
    controller::FleetView fleet = controller::DecodeFleet(entries);
    std::lock_guard lock(mu_);
    ++answers_;
    for (const model::NodeRecord& n : fleet.nodes) {
      if (n.shard != shard_ || n.node != node_ || seen_) continue;
      if (n.health == expected_.status && n.weight == expected_.weight) seen_ = at;
    }
    cv_.notify_all();
  }

  SystemClock clock_;
  RealSleeper sleeper_;
  std::mutex mu_;
  std::condition_variable cv_;
  int answers_ = 0;
  std::string shard_, node_;
  agent::NodeState expected_;
  std::optional<Clock::time_point> seen_;
  consul::Watcher<std::vector<consul::ServiceEntry>> watcher_;  // last: stops first
};

// Polls `show servers state <backend>` every millisecond until the server shows `state`.
Result<Clock::time_point> PollApplied(haproxy::RuntimeClient& client, const std::string& backend,
                                      const std::string& server, const agent::NodeState& state) {
  const Clock::time_point deadline = Clock::now() + kChangeTimeout;
  while (Clock::now() < deadline) {
    Result<ServersLook> look = LookAtServers(client, backend);
    if (look.ok()) {
      auto it = look->find({backend, server});
      if (it != look->end() && ShowsState(it->second, state)) return Clock::now();
    }
    std::this_thread::sleep_for(milliseconds(1));
  }
  return Timeout(backend + "/" + server + " did not change within 5 s");
}

struct ChangeSample {
  double applied_ms = 0;  // the write returned -> HAProxy shows it
  double notify_ms = 0;   // the write returned -> the bench's blocking query returned it
};

Result<ChangeSample> MeasureOneChange(ControllerBenchStack& stack, ConsulNotifyProbe& probe,
                                      long i) {
  PlannedChange change = stack.fleet->Plan(i);
  const agent::PublisherConfig& node = stack.fleet->nodes()[change.node].config;
  const std::string backend = node.shard + "_ro";
  probe.Expect(node, change.next);
  ASSIGN_OR_RETURN(Clock::time_point written, stack.fleet->Publish(change.node, change.next));
  ASSIGN_OR_RETURN(Clock::time_point applied,
                   PollApplied(stack.haproxy->client(), backend, node.node, change.next));
  std::optional<Clock::time_point> notified = probe.WaitSeen(kChangeTimeout);
  if (!notified) return Timeout("the bench's blocking query missed change " + std::to_string(i));
  return ChangeSample{Ms(applied - written), Ms(*notified - written)};
}

void PrintApplyFigures(const std::vector<ChangeSample>& samples, const std::string& before,
                       const std::string& after) {
  std::vector<double> applied, notify, share;
  for (const ChangeSample& s : samples) {
    applied.push_back(s.applied_ms);
    notify.push_back(s.notify_ms);
    share.push_back(s.applied_ms - s.notify_ms);
  }
  std::printf("    (a) write returned -> HAProxy shows it:        %s\n",
              Quantiles(applied, " ms").c_str());
  std::printf("    peer: write returned -> Consul blocking query: %s\n",
              Quantiles(notify, " ms").c_str());
  std::printf("    controller share = applied - consul notify:    %s\n",
              Quantiles(share, " ms").c_str());
  const double notify50 = Percentile(notify, 0.5), notify99 = Percentile(notify, 0.99);
  std::printf("    ratio applied / consul notify: p50 %.2fx  p99 %.2fx\n",
              notify50 > 0 ? Percentile(applied, 0.5) / notify50 : 0.0,
              notify99 > 0 ? Percentile(applied, 0.99) / notify99 : 0.0);
  for (const auto& [name, what] :
       {std::pair{"shardgate_controller_apply_seconds", "(b) controller apply_seconds"},
        std::pair{"shardgate_reroute_seconds", "(c) reroute_seconds (changed_at ->)"}}) {
    Result<BucketCounts> b = ReadHistogram(before, name), a = ReadHistogram(after, name);
    if (!b.ok() || !a.ok()) {
      std::printf("    %s: not in /metrics\n", what);
      continue;
    }
    std::printf("    %s, bucket-derived: %s\n", what, HistogramFigures(Difference(*a, *b)).c_str());
  }
  const double share99 = Percentile(share, 0.99);
  std::printf("    spec target: controller share p99 <= 50 ms: p99 %.1f ms, %s\n", share99,
              share99 <= 50 ? "within" : "over");
}

// One series of `changes` changes, `spacing` apart, numbered on from *next in the fleet's cycle;
// prints its figures.
Status RunSeries(ControllerBenchStack& stack, ConsulNotifyProbe& probe, int changes,
                 milliseconds spacing, long* next, Clock::time_point deadline) {
  std::printf(
      "  one change every %lld ms (%d changes; about %.0f Consul index changes/s: a status change "
      "is the agent's registration plus its check update)\n",
      static_cast<long long>(spacing.count()), changes, 1.5 * 1000.0 / spacing.count());
  ASSIGN_OR_RETURN(std::string before, stack.controller->Metrics());
  std::vector<ChangeSample> samples;
  int missed = 0;
  for (int n = 0; n < changes; ++n, ++*next) {
    if (harness::ShutdownRequested() || Clock::now() >= deadline) {
      std::fprintf(stderr, "controller_bench: part 1 stopped after %d changes (%s)\n", n,
                   harness::ShutdownRequested() ? "interrupted" : "time budget spent");
      break;
    }
    const Clock::time_point start = Clock::now();
    Result<ChangeSample> sample = MeasureOneChange(stack, probe, *next);
    if (sample.ok()) {
      samples.push_back(*sample);
    } else {
      ++missed;
      std::fprintf(stderr, "controller_bench: change %ld: %s\n", *next,
                   sample.status().ToString().c_str());
    }
    std::this_thread::sleep_until(start + spacing);
  }
  ASSIGN_OR_RETURN(std::string after, stack.controller->Metrics());
  PrintApplyFigures(samples, before, after);
  if (missed > 0) std::printf("    changes not seen within 5 s (left out above): %d\n", missed);
  return Status::Ok();
}

}  // namespace

Status RunApplyLatency(const ControllerBenchFlags& flags) {
  std::printf(
      "controller_bench part 1: Consul change -> applied in HAProxy (3 shards x 3 nodes; HAProxy "
      "polled every 1 ms)\n");
  ASSIGN_OR_RETURN(auto stack, StartControllerBenchStack({"bench", 3, 3, 30000}, 30));
  RETURN_IF_ERROR(WaitFleetApplied(*stack, milliseconds(30000)));
  ConsulNotifyProbe probe(*stack->client, stack->fleet->service());
  if (!probe.WaitFirstAnswer(milliseconds(10000))) {
    return Timeout("the bench's watch never answered");
  }
  const Clock::time_point deadline = Clock::now() + kBudget;
  long next = 0;
  for (int spacing : flags.spacings_ms) {
    if (harness::ShutdownRequested()) break;
    RETURN_IF_ERROR(
        RunSeries(*stack, probe, flags.changes, milliseconds(spacing), &next, deadline));
  }
  return Status::Ok();
}

}  // namespace shardgate::bench
