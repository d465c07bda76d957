// failover_bench: unplanned failover of one shard (primary SIGKILLed, replica promoted by the
// bench) -> first successful write through HAProxy, for each HAProxy under test on the same
// nodes in the same failovers: the peer (HAProxy configured as Patroni documents it) and
// shardgate (HAProxy driven by shardgate-controller from the agents' Consul records). Prints
// p50/p90/p99/max per target and the shardgate/peer ratio; never fails on timing.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/failover_trials.h"
#include "bench/latency_summary.h"
#include "bench/patroni_peer.h"
#include "common/duration.h"
#include "common/flags.h"
#include "common/numbers.h"
#include "tests/harness/stack.h"

namespace shardgate::bench {
namespace {

using std::chrono::milliseconds;

constexpr int kDefaultTrials = 10;
// Each write attempt (connect included) gives up after this; the loop starts one every 10 ms.
// While HAProxy still sends new connections to the dead server, each such attempt costs the
// client this long, so it sets the figures' granularity in that window.
constexpr milliseconds kDefaultAttemptTimeout{500};
// The shard key a shardgate router port needs in the startup packet; PostgreSQL and the peer
// take it as a harmless custom setting.
constexpr const char* kPgOptions = "-c shardgate.key=1";

// The agents' probe interval (fall 3, rise 2 by default): a promotion is published at the
// first probe after it, 0-250 ms later.
constexpr const char* kAgentInterval = "250ms";

// The shardgate side on the same nodes: HAProxy with the router and key 1 on shard_1, the Consul
// dev server, one agent per node, and shardgate-controller, which adds the servers and moves
// the writer from the agents' records (HAProxy starts with empty shard backends).
void ConfigureShardgateSide(harness::StackOptions* options) {
  options->haproxy = true;
  options->segments = {{0, 9999, "shard_1"}};
  options->consul = true;
  options->agents = true;
  options->cluster = "failover";
  options->agent_args = {std::string("--interval=") + kAgentInterval};
  options->controller = true;
}

WriteTarget ShardgateTarget(harness::Stack& stack, milliseconds attempt_timeout) {
  return {"shardgate", MakePgWriter(stack.rw_port(), kPgOptions, attempt_timeout)};
}

// A standby that lost its primary retries WAL sources every wal_retrieve_retry_interval (5 s by
// default) and PostgreSQL 15 finishes that sleep before it acts on a promote request, which
// would add a random 0-5 s to every target alike. 100 ms keeps that noise out of the figures.
// ALTER SYSTEM lands in postgresql.auto.conf, which pg_basebackup copies to rebuilt replicas.
Status ShortenWalRetry(harness::Stack& stack) {
  for (harness::PgNode* node : stack.Nodes()) {
    RETURN_IF_ERROR(node->Query("alter system set wal_retrieve_retry_interval = '100ms'").status());
    RETURN_IF_ERROR(node->Query("select pg_reload_conf()").status());
  }
  return Status::Ok();
}

struct Flags {
  int trials = kDefaultTrials;
  milliseconds attempt_timeout = kDefaultAttemptTimeout;
};

Result<Flags> ParseFlags(int argc, char** argv) {
  ASSIGN_OR_RETURN(
      ParsedFlags parsed,
      FlagSet().Value("trials").Value("attempt-timeout").Parse({argv + 1, argv + argc}));
  if (!parsed.positional.empty()) return InvalidArgument("unexpected " + parsed.positional[0]);
  Flags f;
  if (auto trials = parsed.Get("trials")) {
    if (!ParseInteger(*trials, &f.trials) || f.trials < 1 || f.trials > 1000) {
      return InvalidArgument("--trials: want 1..1000, got '" + *trials + "'");
    }
  }
  if (auto timeout = parsed.Get("attempt-timeout")) {
    auto d = ParseGoDuration(*timeout);
    if (!d.ok() || *d < milliseconds(10) || *d > std::chrono::seconds(10)) {
      return InvalidArgument("--attempt-timeout: want 10ms..10s, got '" + *timeout + "'");
    }
    f.attempt_timeout = std::chrono::duration_cast<milliseconds>(*d);
  }
  return f;
}

struct Figures {
  LatencySummary kill_to_write, promote_to_write;
  size_t failed = 0;
};

Figures Report(const TargetSamples& target) {
  std::vector<milliseconds> kill, promote;
  Figures f;
  for (const TrialSample& s : target.trials) {
    if (!s.ok) {
      ++f.failed;
      continue;
    }
    kill.push_back(s.kill_to_write);
    promote.push_back(s.promote_to_write);
  }
  f.kill_to_write = Summarize(kill);
  f.promote_to_write = Summarize(promote);
  std::printf("failover_bench: %-9s trials=%zu ok=%zu failed=%zu\n", target.name.c_str(),
              target.trials.size(), target.trials.size() - f.failed, f.failed);
  std::printf("failover_bench: %-9s kill->write      %s\n", target.name.c_str(),
              FormatSummary(f.kill_to_write).c_str());
  std::printf("failover_bench: %-9s promotion->write %s\n", target.name.c_str(),
              FormatSummary(f.promote_to_write).c_str());
  return f;
}

// "failover total p99: shardgate X ms, peer Y ms, ratio X/Y" (total = kill -> first write),
// then shardgate's figures against its targets: reroute after promotion <= 1 s p99, total
// <= 0.5x the peer's.
void PrintRatio(const Figures& shardgate, const Figures& peer) {
  long long x = shardgate.kill_to_write.p99.count();
  long long y = peer.kill_to_write.p99.count();
  double ratio = y > 0 ? static_cast<double>(x) / static_cast<double>(y) : 0.0;
  std::printf("failover_bench: failover total p99: shardgate %lld ms, peer %lld ms, ratio %.3f\n",
              x, y, ratio);
  long long reroute = shardgate.promote_to_write.p99.count();
  std::printf("failover_bench: targets: shardgate promotion->write p99 %lld ms (<= 1000: %s), "
              "total ratio %.3f (<= 0.5: %s)\n",
              reroute, reroute <= 1000 ? "met" : "MISSED", ratio, ratio <= 0.5 ? "met" : "MISSED");
}

int Run(const Flags& flags) {
  std::signal(SIGPIPE, SIG_IGN);
  harness::StackOptions so;
  so.shards = {"shard_1"};
  so.replicas = 1;
  so.haproxy = false;
  ConfigureShardgateSide(&so);
  auto stack = harness::Stack::Start(so);
  if (!stack.ok()) {
    std::printf("failover_bench: could not start the stack: %s\n",
                stack.status().ToString().c_str());
    return 1;
  }
  harness::Stack& s = **stack;
  if (Status tuned = ShortenWalRetry(s); !tuned.ok()) {
    std::printf("failover_bench: could not tune the nodes: %s\n", tuned.ToString().c_str());
    return 1;
  }
  auto peer = StartPatroniPeer(s.dir() / "peer", {{"n1", s.Node("shard_1", "n1")->port()},
                                                  {"n2", s.Node("shard_1", "n2")->port()}});
  if (!peer.ok()) {
    std::printf("failover_bench: could not start the peer: %s\n", peer.status().ToString().c_str());
    return 1;
  }
  std::vector<WriteTarget> targets = {
      {"peer", MakePgWriter((*peer)->rw_port, kPgOptions, flags.attempt_timeout)}};
  targets.push_back(ShardgateTarget(s, flags.attempt_timeout));

  std::printf("failover_bench: shard_1 primary SIGKILLed -> replica promoted (pg_ctl promote -w) "
              "-> first write; writes every 10 ms, %lld ms per attempt, %d trials\n",
              static_cast<long long>(flags.attempt_timeout.count()), flags.trials);
  std::printf("failover_bench: peer = HAProxy as Patroni documents it (httpchk GET /primary, "
              "inter 3s fall 3 rise 2, on-marked-down shutdown-sessions) on port %d\n",
              (*peer)->rw_port);
  std::printf("failover_bench: shardgate = HAProxy with the router, servers and writer set by "
              "shardgate-controller from the agents' Consul records (agent interval %s, fall 3 "
              "rise 2) on port %d\n",
              kAgentInterval, s.rw_port());
  std::fflush(stdout);
  FailoverOptions options;
  options.trials = flags.trials;
  options.log = [](const std::string& line) {
    std::printf("failover_bench: %s\n", line.c_str());
    std::fflush(stdout);
  };
  FailoverRun run = RunFailoverTrials(s, targets, options);
  if (!run.stopped.ok()) {
    std::printf("failover_bench: stopped early: %s\n", run.stopped.ToString().c_str());
  }
  Figures peer_figures = Report(run.targets[0]);
  Figures shardgate_figures = Report(run.targets[1]);
  PrintRatio(shardgate_figures, peer_figures);
  return 0;
}

}  // namespace
}  // namespace shardgate::bench

int main(int argc, char** argv) {
  // The shardgate side starts the agents, the dev Consul and the controller from this build.
  setenv("SHARDGATE_BINARY_DIR", SHARDGATE_DEFAULT_BINARY_DIR, /*overwrite=*/0);
  auto flags = shardgate::bench::ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(
        stderr,
        "failover_bench: %s\nusage: failover_bench [--trials N] [--attempt-timeout 500ms]\n",
        flags.status().message().c_str());
    return 2;
  }
  return shardgate::bench::Run(*flags);
}
