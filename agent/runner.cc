// Probe loop, publish loop, and the SIGTERM path.
#include "agent/runner.h"

#include <thread>

#include "common/log.h"

namespace shardgate::agent {
namespace {

void LogTransition(const NodeState& before, const NodeState& after) {
  Log(LogLevel::kInfo, "state_changed",
      {{"status", std::string(HealthName(after.status))},
       {"was", std::string(HealthName(before.status))},
       {"reason", after.reason},
       {"role", std::string(RoleName(after.role))},
       {"timeline", std::to_string(after.timeline)},
       {"weight", std::to_string(after.weight)},
       {"lag_bytes", std::to_string(after.lag_bytes)},
       {"lag_ms", std::to_string(after.lag.count())}});
}

// Publishes until stopped, then withdraws the node at once: the final write must not wait for a
// probe round that may be stuck on a hung node until its deadline.
Status PublishLoop(const AgentConfig& config, const Clock& clock, Publisher& publisher,
                   StateBoard& board, std::stop_token stop) {
  uint64_t seen = 0;
  SteadyTime next = clock.Now();
  while (!stop.stop_requested()) {
    BoardSnapshot snap = board.WaitNewer(seen, next, stop);
    if (stop.stop_requested()) break;
    if (snap.version == 0) {
      next = clock.Now() + Millis(100);
      continue;
    }
    if (snap.version == seen && clock.Now() < next) continue;
    seen = snap.version;
    next = publisher.Step(snap.state);
    PostPublishStats(board, publisher.stats());
  }
  Status s = publisher.Shutdown();
  Log(s.ok() ? LogLevel::kInfo : LogLevel::kWarn, "agent_withdrawn",
      {{"withdraw", config.publish.deregister_on_exit ? "deregister" : "critical"},
       {"result", s.ToString()}});
  return s;
}

}  // namespace

void ProbeRound::Run() {
  SteadyTime start = clock_.Now();
  SteadyTime deadline = start + config_.probe_timeout;
  Observation obs;
  auto sample = probe_.Probe(deadline);
  obs.probe_status = sample.ok() ? Status::Ok() : sample.status();
  if (sample.ok()) obs.sample = *sample;
  if (pool_ != nullptr && sample.ok()) {
    auto pool = pool_->Probe(deadline);
    if (pool.ok()) obs.pool = *pool;
    else Log(LogLevel::kWarn, "pool_probe_failed", {{"error", pool.status().ToString()}});
  }
  obs.maintenance = board_.Snapshot().publish.maintenance;
  figures_.last_duration = std::chrono::duration_cast<Millis>(clock_.Now() - start);
  ++figures_.probes;
  if (!sample.ok()) {
    ++figures_.probe_failures;
    figures_.last_error = sample.status().ToString();
    Log(LogLevel::kDebug, "probe_failed", {{"error", figures_.last_error}});
  } else {
    figures_.last_error.clear();
    figures_.backends = sample->backends;
    figures_.max_connections = sample->max_connections;
  }
  const NodeState& state = policy_.Observe(obs, clock_.WallNow());
  if (figures_.probes == 1 || StateChanged(last_logged_, state) ||
      last_logged_.reason != state.reason) {
    LogTransition(last_logged_, state);
    last_logged_ = state;
  }
  PostState(board_, state, figures_);
}

void RunProbeRounds(const AgentConfig& config, const Clock& clock, Sleeper& sleeper,
                    ProbeRound& round, std::stop_token stop) {
  SteadyTime next = clock.Now();
  while (!stop.stop_requested()) {
    round.Run();
    next += config.interval;
    // After a slow round, start again at once rather than bunching up missed rounds.
    if (next < clock.Now()) next = clock.Now();
    if (!sleeper.SleepUntil(next, stop)) break;
  }
}

Status RunAgent(const AgentConfig& config, const Clock& clock, Sleeper& sleeper, NodeProbe& probe,
                PoolProbe* pool, Publisher& publisher, StateBoard& board, std::stop_token stop) {
  Status withdrawn;
  std::thread publishing([&] { withdrawn = PublishLoop(config, clock, publisher, board, stop); });
  ProbeRound round(config, clock, probe, pool, board);
  RunProbeRounds(config, clock, sleeper, round, stop);
  publishing.join();
  return withdrawn;
}

}  // namespace shardgate::agent
