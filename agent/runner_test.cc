// ProbeRound: one round feeds probe results and the maintenance flag through the policy onto the
// board. RunProbeRounds: rounds keep their interval, on a fake clock and a fake sleeper.
#include "agent/runner.h"

#include <doctest/doctest.h>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_probe.h"
#include "tests/fakes/fake_sleeper.h"

namespace shardgate::agent {
namespace {

AgentConfig Config() {
  AgentConfig c;
  c.interval = Millis(250);
  c.probe_timeout = Millis(200);
  c.policy.fall = 2;
  return c;
}

ProbeSample Replica() {
  ProbeSample s;
  s.role = Role::kReplica;
  s.timeline = 4;
  s.backends = 3;
  s.max_connections = 100;
  return s;
}

TEST_CASE("a probe round gives the probe its deadline and posts the state and figures") {
  testing::FakeClock clock;
  testing::FakeProbe probe;
  probe.Push(Replica());
  StateBoard board;
  AgentConfig cfg = Config();
  ProbeRound round(cfg, clock, probe, nullptr, board);
  round.Run();
  REQUIRE(probe.deadlines().size() == 1);
  CHECK(probe.deadlines()[0] == clock.Now() + Millis(200));
  BoardSnapshot s = board.Snapshot();
  CHECK(s.version == 1);
  CHECK(s.state.status == Health::kPassing);
  CHECK(s.state.timeline == 4);
  CHECK(s.probe.probes == 1);
  CHECK(s.probe.backends == 3);
}

TEST_CASE("failed rounds are counted and turn the node critical after fall of them") {
  testing::FakeClock clock;
  testing::FakeProbe probe;
  probe.Push(Replica());
  probe.Push(Timeout("query deadline passed"));
  StateBoard board;
  AgentConfig cfg = Config();
  ProbeRound round(cfg, clock, probe, nullptr, board);
  round.Run();
  round.Run();
  CHECK(board.Snapshot().state.status == Health::kPassing);
  round.Run();
  BoardSnapshot s = board.Snapshot();
  CHECK(s.state.status == Health::kCritical);
  CHECK(s.state.reason == "hung");
  CHECK(s.probe.probe_failures == 2);
  CHECK(s.probe.last_error == "timeout: query deadline passed");
}

TEST_CASE("maintenance mode read by the publisher drains the node on the next round") {
  testing::FakeClock clock;
  testing::FakeProbe probe;
  probe.Push(Replica());
  StateBoard board;
  AgentConfig cfg = Config();
  ProbeRound round(cfg, clock, probe, nullptr, board);
  round.Run();
  PublisherStats stats;
  stats.maintenance = true;
  PostPublishStats(board, stats);
  round.Run();
  CHECK(board.Snapshot().state.reason == "draining");
  CHECK(board.Snapshot().state.weight == 0);
}

// A probe loop on a fake clock and sleeper, over a replica that always answers.
struct Loop {
  testing::FakeClock clock;
  testing::FakeSleeper sleeper{clock};
  testing::FakeProbe probe;
  StateBoard board;
  AgentConfig cfg = Config();
  ProbeRound round{cfg, clock, probe, nullptr, board};
  std::stop_source stop;

  Loop() { probe.Push(Replica()); }
  void Run() { RunProbeRounds(cfg, clock, sleeper, round, stop.get_token()); }
};

TEST_CASE("probe rounds start every interval until stopped") {
  Loop loop;
  loop.sleeper.OnSleep([&](size_t count) {
    if (count == 3) loop.stop.request_stop();
  });
  SteadyTime start = loop.clock.Now();
  loop.Run();
  CHECK(loop.sleeper.sleeps() == std::vector<Millis>{Millis(250), Millis(250), Millis(250)});
  REQUIRE(loop.probe.deadlines().size() == 3);
  CHECK(loop.probe.deadlines()[2] == start + Millis(500 + 200));
  CHECK(loop.board.Snapshot().version == 3);
}

TEST_CASE("after a late round the next starts at once, without a burst of missed rounds") {
  Loop loop;
  loop.sleeper.OnSleep([&](size_t count) {
    if (count == 1) loop.clock.Advance(Millis(600));  // the second round starts 600 ms late
    if (count == 3) loop.stop.request_stop();
  });
  loop.Run();
  CHECK(loop.sleeper.sleeps() == std::vector<Millis>{Millis(250), Millis(0), Millis(250)});
  CHECK(loop.probe.deadlines().size() == 3);
}

TEST_CASE("a loop stopped before it starts runs no round") {
  Loop loop;
  loop.stop.request_stop();
  loop.Run();
  CHECK(loop.probe.deadlines().empty());
  CHECK(loop.sleeper.sleeps().empty());
}

}  // namespace
}  // namespace shardgate::agent
