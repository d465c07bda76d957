// admin_bench: a routing change through shardgate-controller's admin API with `wait=applied`
// (answer once every HAProxy of the fleet runs it; 1 and 3 HAProxys), beside the same change
// made as consul-template users make it (full render, write, hitless reload), with established
// sessions held through HAProxy during both; and 100,000 ranges put at once. Prints figures and
// ratios; never fails on timing. SIGINT/SIGTERM stop it.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "bench/admin_client.h"
#include "bench/admin_trials.h"
#include "bench/bench_figures.h"
#include "bench/bench_flags.h"
#include "bench/held_sessions.h"
#include "controller/kv_layout.h"
#include "tests/harness/signals.h"

namespace shardgate::bench {
namespace {

using std::chrono::milliseconds;

constexpr const char* kUsage =
    "usage: admin_bench [--changes=200] [--peer-changes=50] [--sessions=20] "
    "[--bulk-ranges=100000]\n"
    "  A: --changes POSTs with wait=applied, with 1 and with 3 HAProxys\n"
    "  C: --peer-changes render+write+reload changes (the peer)\n"
    "  D: --sessions PostgreSQL sessions held through HAProxy during A and C\n"
    "  B: one PUT of --bulk-ranges ranges with wait=applied (3 HAProxys)\n";

constexpr milliseconds kHeldPeriod{100};
constexpr int kBulkMapKeys = 1000;
constexpr int kBulkRoutedKeys = 50;

struct Flags {
  int changes = 200;
  int peer_changes = 50;
  int sessions = 20;
  int bulk_ranges = 100000;
};

Result<Flags> ParseFlags(int argc, char** argv) {
  FlagSet set;
  for (const char* name : {"changes", "peer-changes", "sessions", "bulk-ranges"}) set.Value(name);
  ASSIGN_OR_RETURN(ParsedFlags parsed, set.Parse(std::vector<std::string>(argv + 1, argv + argc)));
  if (!parsed.positional.empty()) return InvalidArgument("unexpected " + parsed.positional[0]);
  Flags f;
  RETURN_IF_ERROR(IntFlag(parsed, "changes", 1, 10000, &f.changes));
  RETURN_IF_ERROR(IntFlag(parsed, "peer-changes", 1, 1000, &f.peer_changes));
  RETURN_IF_ERROR(IntFlag(parsed, "sessions", 0, 200, &f.sessions));
  RETURN_IF_ERROR(IntFlag(parsed, "bulk-ranges", 1, 1000000, &f.bulk_ranges));
  return f;
}

// A series and the held sessions it ran beside.
struct Measured {
  ChangeSeries series;
  HeldSessionsCount held;
  bool ran = false;
};

// Sessions spread over `ports`, on keys in the moved range, on shard_1 and on shard_2.
std::vector<HeldSessionTarget> HeldTargets(const std::vector<int>& ports, int sessions) {
  const int64_t keys[] = {kProbeKey, 100, 7000};
  std::vector<HeldSessionTarget> targets;
  for (int i = 0; i < sessions; ++i) targets.push_back({ports[i % ports.size()], keys[i % 3]});
  return targets;
}

// Runs `series` while `sessions` sessions are held through `ports`.
template <typename F>
Result<Measured> WithHeldSessions(const std::vector<int>& ports, int sessions, F series) {
  ASSIGN_OR_RETURN(std::unique_ptr<HeldSessions> held,
                   HeldSessions::Start(HeldTargets(ports, sessions), kHeldPeriod));
  Measured m;
  m.series = series();
  m.held = held->Count();
  m.ran = true;
  return m;
}

void PrintSeries(const char* name, const Measured& m) {
  if (!m.ran) {
    std::printf("admin_bench: %-34s not run\n", name);
    return;
  }
  std::printf("admin_bench: %-34s %s (failed %d, misrouted after the answer %d)\n", name,
              Quantiles(m.series.ms, "ms").c_str(), m.series.failed, m.series.misrouted);
  if (!m.series.first_error.empty()) {
    std::printf("admin_bench: %-34s first failure: %s\n", name, m.series.first_error.c_str());
  }
  std::printf("admin_bench: %-34s held sessions: %d, dropped %d (queries ok %lld, failed %lld)\n",
              name, m.held.sessions, m.held.dropped, static_cast<long long>(m.held.queries),
              static_cast<long long>(m.held.failures));
}

double P99(const Measured& m) { return m.ran ? Percentile(m.series.ms, 0.99) : 0; }

// The peer's run: besides the series, how many HAProxy workers the reloads left while the held
// sessions were open, after they closed, and whether stopping the peer left none behind.
struct PeerRun {
  Measured m;
  size_t workers_while_held = 0;
  int reloads_resent = 0;
  size_t workers_after_close = 0;
  bool all_stopped = false;
};

Result<PeerRun> RunPeer(AdminFleet& fleet, const Flags& flags,
                        const std::vector<model::Segment>& initial) {
  std::vector<haproxy::ShardSpec> shards;
  for (const char* shard : {"shard_1", "shard_2"}) {
    shards.push_back({shard, {{"n1", "127.0.0.1", fleet.ShardPort(shard)}}, {}});
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ReloadPeer> peer,
                   ReloadPeer::Start(fleet.stack().dir() / "peer", std::move(shards),
                                     controller::RuleSetFromSegments(
                                         initial, std::chrono::system_clock::now(), "peer")));
  ASSIGN_OR_RETURN(std::unique_ptr<HeldSessions> held,
                   HeldSessions::Start(HeldTargets({peer->rw_port()}, flags.sessions),
                                       kHeldPeriod));
  SeriesOptions so;
  so.changes = flags.peer_changes;
  PeerRun run;
  run.m.series = RunPeerSeries(*peer, fleet, so);
  run.m.held = held->Count();
  run.m.ran = true;
  run.workers_while_held = peer->Workers().size();
  run.reloads_resent = peer->resent();
  held.reset();
  // The old worker that served the held sessions exits once they are closed.
  for (int i = 0; i < 100 && peer->Workers().size() > 1; ++i) {
    std::this_thread::sleep_for(milliseconds(50));
  }
  run.workers_after_close = peer->Workers().size();
  ASSIGN_OR_RETURN(run.all_stopped, peer->Stop());
  return run;
}

// A with `haproxys` HAProxys under one controller.
Result<Measured> RunAdmin(AdminFleet& fleet, const Flags& flags, int haproxys) {
  RETURN_IF_ERROR(fleet.StartController(haproxys));
  std::vector<int> ports = fleet.RouterPorts(haproxys);
  SeriesOptions so;
  so.changes = flags.changes;
  return WithHeldSessions(ports, flags.sessions, [&] { return RunAdminSeries(fleet, ports, so); });
}

// Ok when the controller serves GET /api/v1/routing-map (the admin API is there).
Status AdminApiServed(AdminFleet& fleet) {
  ASSIGN_OR_RETURN(AdminReply reply, AdminRequest(fleet.admin_port(), "GET", "/api/v1/routing-map",
                                                  "", milliseconds(5000)));
  if (reply.status == 200) return Status::Ok();
  return Unavailable("GET /api/v1/routing-map answered HTTP " + std::to_string(reply.status));
}

void PrintBulk(const BulkFigures& b, int ranges) {
  std::printf("admin_bench: B PUT %d ranges wait=applied, 3 HAProxys: HTTP %d done=%s in %.0f ms; "
              "every HAProxy on map version %llu at %.0f ms\n",
              ranges, b.status, b.done ? "true" : "false", b.put_ms,
              static_cast<unsigned long long>(b.map_version), b.fleet_ms);
  std::printf("admin_bench: B keys checked in the maps HAProxy runs: %d, wrong %d; "
              "new connections routed: %d, wrong shard %d, failed %d\n",
              b.keys_checked, b.keys_wrong, b.routed_checked, b.routed_wrong, b.routed_failed);
  std::printf("admin_bench: B first new connection through each router after the answer: "
              "slowest %.0f ms; later connections: slowest %.0f ms\n",
              b.first_connection_ms, b.later_connection_ms);
  if (!b.error.empty()) std::printf("admin_bench: B error: %s\n", b.error.c_str());
}

// The block to paste into docs/benchmarks.md.
void PrintFigures(const Measured& a1, const Measured& a3, const PeerRun& peer) {
  std::printf("admin_bench: ---- figures ----\n");
  PrintSeries("A POST wait=applied, 1 HAProxy", a1);
  PrintSeries("A POST wait=applied, 3 HAProxys", a3);
  PrintSeries("C peer render+write+reload->routed", peer.m);
  std::printf("admin_bench: C peer workers: %zu while the sessions were held, %zu after they "
              "closed; all stopped at the end: %s; reload commands sent again: %d\n",
              peer.workers_while_held, peer.workers_after_close, peer.all_stopped ? "yes" : "NO",
              peer.reloads_resent);
  const double peer99 = P99(peer.m);
  for (const auto& [name, m] : {std::pair{"1 HAProxy", &a1}, std::pair{"3 HAProxys", &a3}}) {
    if (!m->ran || m->series.ms.empty() || !peer.m.ran || peer.m.series.ms.empty()) {
      std::printf("admin_bench: ratio peer p99 / shardgate p99 (%s): no figures to compare\n",
                  name);
      continue;
    }
    const double p99 = P99(*m);
    const double ratio = p99 > 0 ? peer99 / p99 : 0;
    std::printf("admin_bench: ratio peer p99 / shardgate p99 (%s): %.1fx (>= 10: %s); "
                "shardgate p99 %.1f ms (<= 50: %s)\n",
                name, ratio, ratio >= 10 ? "met" : "MISSED", p99, p99 <= 50 ? "met" : "MISSED");
  }
}

int Run(const Flags& flags) {
  const std::vector<model::Segment> initial = {{0, 4999, "shard_1"}, {5000, 9999, "shard_2"}};
  const auto started = std::chrono::steady_clock::now();
  auto fleet = AdminFleet::Start({{"shard_1", "shard_2"}, 3, "adminbench", initial});
  if (!fleet.ok()) {
    std::printf("admin_bench: could not start the fleet: %s\n", fleet.status().ToString().c_str());
    return 1;
  }
  std::printf("admin_bench: 2 shards (one PostgreSQL each, an agent each), dev Consul, 3 router "
              "HAProxys on one range map; keys %lld-%lld moved between shard_1 and shard_2 per "
              "change; %d sessions held (select 1 every %lld ms)\n",
              static_cast<long long>(kMovedLo), static_cast<long long>(kMovedHi), flags.sessions,
              static_cast<long long>(kHeldPeriod.count()));
  PeerRun peer;
  if (Result<PeerRun> run = RunPeer(**fleet, flags, initial); run.ok()) {
    peer = std::move(*run);
  } else {
    std::printf("admin_bench: C (peer) could not run: %s\n", run.status().ToString().c_str());
  }
  PrintSeries("C peer render+write+reload->routed", peer.m);
  Measured a1, a3;
  BulkFigures bulk;
  Status api = harness::ShutdownRequested() ? Status::Ok() : (*fleet)->StartController(1);
  if (api.ok()) api = AdminApiServed(**fleet);
  if (!api.ok()) {
    std::printf("admin_bench: A and B not run: %s\n", api.ToString().c_str());
  } else {
    for (auto [haproxys, out] : {std::pair{1, &a1}, std::pair{3, &a3}}) {
      if (harness::ShutdownRequested()) break;
      Result<Measured> m = RunAdmin(**fleet, flags, haproxys);
      if (m.ok()) *out = std::move(*m);
      if (!m.ok()) std::printf("admin_bench: A could not run: %s\n", m.status().ToString().c_str());
      PrintSeries(haproxys == 1 ? "A POST wait=applied, 1 HAProxy"
                                : "A POST wait=applied, 3 HAProxys",
                  *out);
    }
    if (!harness::ShutdownRequested() && a3.ran) {
      bulk = RunBulkPut(**fleet, 3, flags.bulk_ranges, kBulkMapKeys, kBulkRoutedKeys, {});
      PrintBulk(bulk, flags.bulk_ranges);
    }
  }
  PrintFigures(a1, a3, peer);
  if (a3.ran) PrintBulk(bulk, flags.bulk_ranges);
  std::printf("admin_bench: total %.0f s\n",
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return harness::ShutdownRequested() ? 1 : 0;
}

}  // namespace
}  // namespace shardgate::bench

int main(int argc, char** argv) {
  shardgate::harness::InstallShutdownHandlers();  // before any thread or child
  // Outside ctest nobody sets the variable the harness uses to find the built programs.
  setenv("SHARDGATE_BINARY_DIR", SHARDGATE_DEFAULT_BINARY_DIR, /*overwrite=*/0);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::printf("%s", shardgate::bench::kUsage);
    return 0;
  }
  auto flags = shardgate::bench::ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "admin_bench: %s\n%s", flags.status().message().c_str(),
                 shardgate::bench::kUsage);
    return 2;
  }
  return shardgate::bench::Run(*flags);
}
