// controller_bench part 2: HAProxy killed (SIGKILL) and started again from the same
// configuration, whose shard backends are empty: how long until the controller has put every
// server back with its weight and state, and the map version back. Peer: the same HAProxy with
// the servers written statically in its configuration (what a reload-based tool does), from
// start to answering with all of them.
#include <cstdio>
#include <optional>
#include <thread>

#include "bench/bench_figures.h"
#include "bench/controller_bench_parts.h"
#include "common/file.h"
#include "tests/harness/signals.h"

namespace shardgate::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kRestoreTimeout{30000};
constexpr milliseconds kStartTimeout{20000};
// A full `show servers state` of 1,000 servers costs HAProxy and the bench a few ms each; polling
// faster would slow down the restore it measures.
constexpr milliseconds kPoll{10};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Restore {
  double answer_ms = 0;   // spawn -> `show info` answers
  double first_ms = 0;    // answering -> the first shard server is back
  double map_ms = 0;      // answering -> the map version is back
  double servers_ms = 0;  // answering -> every server is back with its weight and state
  double total_ms() const { return answer_ms + std::max(map_ms, servers_ms); }
};

size_t ShardServers(const ServersLook& look) {
  size_t n = 0;
  for (const auto& [key, server] : look) n += key.first.starts_with("shard_") ? 1 : 0;
  return n;
}

// One poll of a restarting HAProxy: sets each figure (ms since `answered`) the first time it holds.
void PollRestore(TimedHaproxy& haproxy, const ServersLook& want, uint64_t want_map,
                 Clock::time_point answered, std::optional<double>* map_ms,
                 std::optional<double>* first_ms, std::optional<double>* servers_ms) {
  if (!*map_ms) {
    Result<uint64_t> version = haproxy.client().RangeMapVersion(haproxy.layout().ranges_map);
    if (version.ok() && *version == want_map) *map_ms = Ms(Clock::now() - answered);
  }
  Result<ServersLook> look = LookAtServers(haproxy.client());
  if (!look.ok()) return;
  if (!*first_ms && ShardServers(*look) > 0) *first_ms = Ms(Clock::now() - answered);
  if (!*servers_ms && *look == want) *servers_ms = Ms(Clock::now() - answered);
}

// Kills HAProxy, starts it again and polls until it runs `want` and `want_map` again.
Result<Restore> RestartOnce(ControllerBenchStack& stack, const ServersLook& want,
                            uint64_t want_map) {
  TimedHaproxy& haproxy = *stack.haproxy;
  RETURN_IF_ERROR(haproxy.Kill());
  ASSIGN_OR_RETURN(std::chrono::nanoseconds answer, haproxy.Start(kStartTimeout));
  const Clock::time_point answered = Clock::now();
  std::optional<double> map_ms, first_ms, servers_ms;
  while (!map_ms || !servers_ms) {
    if (Clock::now() - answered > kRestoreTimeout) {
      return Timeout(std::string("not restored within 30 s: ") + (map_ms ? "" : "map ") +
                     (servers_ms ? "" : "servers"));
    }
    PollRestore(haproxy, want, want_map, answered, &map_ms, &first_ms, &servers_ms);
    std::this_thread::sleep_for(kPoll);
  }
  return Restore{Ms(answer), first_ms.value_or(*servers_ms), *map_ms, *servers_ms};
}

// The same shards with every node written into the configuration: rw lists them all, and the
// renderer adds each to ro as a backup, so both backends hold every node as the controller's do.
std::vector<haproxy::ShardSpec> StaticShards(const FleetPlayer& fleet) {
  std::vector<haproxy::ShardSpec> shards = EmptyShards(fleet);
  for (const PlayedNode& node : fleet.nodes()) {
    for (haproxy::ShardSpec& shard : shards) {
      if (shard.name != node.config.shard) continue;
      shard.rw.push_back(
          {node.config.node, node.config.address, node.config.port, false, node.full_weight});
    }
  }
  return shards;
}

// The static peer: start -> answering with all `servers` servers, `times` times.
Result<std::vector<double>> MeasureStaticPeer(ControllerBenchStack& stack, size_t servers,
                                              int times) {
  ASSIGN_OR_RETURN(HaproxyLayout layout, MakeHaproxyLayout(stack.dir->path() / "static"));
  // The same map the controller keeps on disk, so both HAProxies load the same file.
  ASSIGN_OR_RETURN(std::string map, ReadFile(stack.haproxy->layout().ranges_map));
  RETURN_IF_ERROR(WriteFile(layout.ranges_map, map));
  ASSIGN_OR_RETURN(std::string config, RenderBenchConfig(layout, StaticShards(*stack.fleet)));
  TimedHaproxy peer(layout);
  RETURN_IF_ERROR(peer.WriteConfig(config));
  std::vector<double> starts;
  for (int i = 0; i < times && !harness::ShutdownRequested(); ++i) {
    ASSIGN_OR_RETURN(std::chrono::nanoseconds answer, peer.Start(kStartTimeout));
    const Clock::time_point spawned = Clock::now() - answer;
    while (true) {
      Result<ServersLook> look = LookAtServers(peer.client());
      if (look.ok() && ShardServers(*look) == servers) break;
      if (Clock::now() - spawned > kRestoreTimeout) return Timeout("static peer never listed all");
      std::this_thread::sleep_for(kPoll);
    }
    starts.push_back(Ms(Clock::now() - spawned));
    RETURN_IF_ERROR(peer.Kill());
  }
  return starts;
}

}  // namespace

Status RunResync(ControllerBenchStack& stack, const ControllerBenchFlags& flags) {
  ASSIGN_OR_RETURN(ServersLook want, LookAtServers(stack.haproxy->client()));
  ASSIGN_OR_RETURN(uint64_t want_map,
                   stack.haproxy->client().RangeMapVersion(stack.haproxy->layout().ranges_map));
  const size_t servers = ShardServers(want);
  std::printf(
      "controller_bench part 2: full resync after HAProxy is killed (SIGKILL) and started again "
      "(%d shards x %d nodes = %zu servers, %d-segment map; controller defaults: "
      "haproxy_check_interval 200 ms; HAProxy polled every %lld ms)\n",
      flags.shards, flags.nodes, servers, flags.segments, static_cast<long long>(kPoll.count()));
  std::vector<double> restored, totals;
  for (int i = 1; i <= flags.restarts && !harness::ShutdownRequested(); ++i) {
    ASSIGN_OR_RETURN(Restore r,
                     Annotate(RestartOnce(stack, want, want_map), "restart " + std::to_string(i)));
    std::printf(
        "  restart %d: start -> answering %.1f ms; answering -> map back %.1f ms, -> first server "
        "back %.1f ms, -> every server back %.1f ms; start -> all back %.1f ms\n",
        i, r.answer_ms, r.map_ms, r.first_ms, r.servers_ms, r.total_ms());
    restored.push_back(r.servers_ms);
    totals.push_back(r.total_ms());
  }
  std::printf("  answering -> every server back:            %s\n",
              Quantiles(restored, " ms").c_str());
  std::printf("  start -> all back (controller):            %s\n",
              Quantiles(totals, " ms").c_str());
  ASSIGN_OR_RETURN(std::vector<double> peer, MeasureStaticPeer(stack, servers, flags.restarts));
  std::printf("  peer: %zu static servers, start -> all listed: %s\n", servers,
              Quantiles(peer, " ms").c_str());
  if (!peer.empty() && !totals.empty()) {
    std::printf("  ratio controller / static (start -> all servers): p50 %.2fx  max %.2fx\n",
                Percentile(totals, 0.5) / Percentile(peer, 0.5),
                Percentile(totals, 1.0) / Percentile(peer, 1.0));
  }
  return Status::Ok();
}

}  // namespace shardgate::bench
