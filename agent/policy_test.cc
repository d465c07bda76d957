// Policy: hysteresis, thresholds, quantization, idle primary, promotion.
#include "agent/policy.h"

#include <doctest/doctest.h>

namespace shardgate::agent {
namespace {

using std::chrono::seconds;

const WallTime kT0 = WallTime(std::chrono::hours(480000));

ProbeSample Replica(uint64_t lag_bytes = 0, Millis lag = Millis(0), int backends = 5) {
  ProbeSample s;
  s.role = Role::kReplica;
  s.timeline = 1;
  s.lag_bytes = lag_bytes;
  s.lag = lag;
  s.backends = backends;
  s.max_connections = 100;
  s.streaming = true;
  return s;
}

ProbeSample Primary(int64_t timeline = 1) {
  ProbeSample s;
  s.role = Role::kPrimary;
  s.timeline = timeline;
  s.backends = 5;
  s.max_connections = 100;
  return s;
}

Observation Good(const ProbeSample& s) { return Observation{Status::Ok(), s, std::nullopt, false}; }
Observation Bad(Status why) { return Observation{std::move(why), {}, std::nullopt, false}; }

PolicyConfig Config() {
  PolicyConfig c;
  c.rise = 2;
  c.fall = 3;
  c.lag_warn_bytes = 1000;
  c.lag_warn = seconds(10);
  return c;
}

TEST_CASE("a first good probe makes a node passing with full weight at once") {
  Policy p(Config());
  const NodeState& s = p.Observe(Good(Replica()), kT0);
  CHECK(s.status == Health::kPassing);
  CHECK(s.reason == "ok");
  CHECK(s.weight == kMaxWeight);
  CHECK(s.role == Role::kReplica);
  CHECK(s.changed_at == kT0);
}

TEST_CASE("a node turns critical only after fall consecutive failed probes") {
  Policy p(Config());
  p.Observe(Good(Replica()), kT0);
  CHECK(p.Observe(Bad(Unavailable("refused")), kT0).status == Health::kPassing);
  CHECK(p.Observe(Bad(Unavailable("refused")), kT0).status == Health::kPassing);
  const NodeState& s = p.Observe(Bad(Unavailable("refused")), kT0 + seconds(3));
  CHECK(s.status == Health::kCritical);
  CHECK(s.reason == "down");
  CHECK(s.weight == 0);
  CHECK(s.changed_at == kT0 + seconds(3));
}

TEST_CASE("a good probe between failures restarts the fall count") {
  Policy p(Config());
  p.Observe(Good(Replica()), kT0);
  p.Observe(Bad(Unavailable("x")), kT0);
  p.Observe(Bad(Unavailable("x")), kT0);
  p.Observe(Good(Replica()), kT0);
  p.Observe(Bad(Unavailable("x")), kT0);
  CHECK(p.Observe(Bad(Unavailable("x")), kT0).status == Health::kPassing);
}

TEST_CASE("a critical node needs rise good probes to pass again") {
  Policy p(Config());
  p.Observe(Bad(Unavailable("refused")), kT0);
  CHECK(p.state().status == Health::kCritical);
  CHECK(p.Observe(Good(Replica()), kT0).status == Health::kCritical);
  CHECK(p.Observe(Good(Replica()), kT0).status == Health::kPassing);
}

TEST_CASE("a probe that misses its deadline reads as hung") {
  Policy p(Config());
  CHECK(p.Observe(Bad(Timeout("query deadline passed")), kT0).reason == "hung");
}

TEST_CASE("an idle primary is passing with full weight and no lag") {
  Policy p(Config());
  const NodeState& s = p.Observe(Good(Primary()), kT0);
  CHECK(s.status == Health::kPassing);
  CHECK(s.weight == kMaxWeight);
  CHECK(s.lag_bytes == 0);
  CHECK(s.lag == Millis(0));
}

TEST_CASE(
    "a replica lagging past the byte threshold turns warning after fall samples, with a lower weight") {
  Policy p(Config());
  p.Observe(Good(Replica()), kT0);
  CHECK(p.Observe(Good(Replica(5000)), kT0).status == Health::kPassing);
  CHECK(p.Observe(Good(Replica(5000)), kT0).status == Health::kPassing);
  const NodeState& s = p.Observe(Good(Replica(5000)), kT0);
  CHECK(s.status == Health::kWarning);
  CHECK(s.reason == "lagging");
  CHECK(s.weight == kMaxWeight / 4);
  // Caught up: rise clean samples bring it back.
  p.Observe(Good(Replica()), kT0);
  CHECK(p.Observe(Good(Replica()), kT0).status == Health::kPassing);
  CHECK(p.state().weight == kMaxWeight);
}

TEST_CASE("lag in seconds alone also warns") {
  Policy p(Config());
  p.Observe(Good(Replica(0, seconds(30))), kT0);
  CHECK(p.state().status == Health::kWarning);
  CHECK(p.state().reason == "lagging");
}

TEST_CASE("weights are quantized to buckets of 256 / weight_buckets") {
  PolicyConfig c = Config();
  Policy p(c);
  // lag 50% of the threshold: 256 * (1 - 0.75 * 0.5) = 160 -> bucket of 32 -> 160.
  CHECK(p.Observe(Good(Replica(500)), kT0).weight == 160);
  Policy q(c);
  // 256 * (1 - 0.75 * 0.3) = 198.4 -> nearest bucket 192.
  CHECK(q.Observe(Good(Replica(300)), kT0).weight == 192);
}

TEST_CASE("small lag wobbles around a bucket edge do not change the published weight") {
  Policy p(Config());
  int first = p.Observe(Good(Replica(300)), kT0).weight;
  for (uint64_t lag : {280, 330, 260, 340, 300}) {
    CHECK(p.Observe(Good(Replica(lag)), kT0).weight == first);
  }
  CHECK(p.state().changed_at == kT0);
  // A real move (to 80% of the threshold) does.
  CHECK(p.Observe(Good(Replica(800)), kT0 + seconds(1)).weight == 96);
  CHECK(p.state().changed_at == kT0 + seconds(1));
}

TEST_CASE("connection saturation lowers the weight and, past the warning share, warns") {
  Policy p(Config());
  // 80 of 100: halfway between soft (0.7) and full -> factor (1 - 0.8) / 0.3 = 0.667 -> 171 -> 160.
  CHECK(p.Observe(Good(Replica(0, Millis(0), 80)), kT0).weight == 160);
  Policy q(Config());
  const NodeState& s = q.Observe(Good(Replica(0, Millis(0), 95)), kT0);
  CHECK(s.status == Health::kWarning);
  CHECK(s.reason == "saturated");
}

TEST_CASE("a weight that quantizes to zero is never published as passing") {
  Policy p(Config());
  const NodeState& s = p.Observe(Good(Replica(0, Millis(0), 100)), kT0);
  CHECK(s.weight == 0);
  CHECK(s.status == Health::kWarning);
}

TEST_CASE("a PgBouncer queue lowers the weight and warns past its threshold") {
  Policy p(Config());
  Observation obs = Good(Primary());
  obs.pool = PoolSample{10, Millis(0)};  // half of pool_waiting_warn (20)
  CHECK(p.Observe(obs, kT0).weight == 160);
  obs.pool = PoolSample{0, seconds(2)};
  Policy q(Config());
  CHECK(q.Observe(obs, kT0).reason == "pool_queue");
}

TEST_CASE("Consul maintenance mode drains the node: warning with weight zero") {
  Policy p(Config());
  p.Observe(Good(Replica()), kT0);
  Observation obs = Good(Replica());
  obs.maintenance = true;
  const NodeState& s = p.Observe(obs, kT0);
  CHECK(s.status == Health::kWarning);
  CHECK(s.reason == "draining");
  CHECK(s.weight == 0);
  CHECK(p.Observe(Good(Replica()), kT0).weight == kMaxWeight);
}

TEST_CASE("a promotion changes role and timeline at once and moves changed_at") {
  Policy p(Config());
  p.Observe(Good(Replica()), kT0);
  const NodeState& s = p.Observe(Good(Primary(2)), kT0 + seconds(5));
  CHECK(s.role == Role::kPrimary);
  CHECK(s.timeline == 2);
  CHECK(s.status == Health::kPassing);
  CHECK(s.changed_at == kT0 + seconds(5));
}

TEST_CASE("changed_at never goes backwards when the wall clock does") {
  Policy p(Config());
  p.Observe(Good(Replica()), kT0);
  p.Observe(Good(Primary(2)), kT0 - seconds(60));
  CHECK(p.state().changed_at == kT0);
}

TEST_CASE("raw lag changes inside a bucket are not a state change") {
  NodeState a;
  a.status = Health::kPassing;
  a.weight = 256;
  NodeState b = a;
  b.lag_bytes = 12345;
  b.lag = Millis(17);
  b.reason = "other";
  CHECK_FALSE(StateChanged(a, b));
  b.weight = 224;
  CHECK(StateChanged(a, b));
}

}  // namespace
}  // namespace shardgate::agent
