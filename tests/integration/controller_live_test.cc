// shardgate-controller live: rules written to Consul route the next connection, a TTL rule
// reverts by itself, a shard added at run time is served without a reload, a killed HAProxy is
// put back, bad rules documents change nothing, and two HAProxys with two controllers converge.
// Real HAProxy, PostgreSQL, the Consul dev server and agents; one stack for every case.
#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>

#include "controller/kv_layout.h"
#include "haproxy/config.h"
#include "haproxy/runtime_client.h"
#include "tests/harness/eventually.h"
#include "tests/harness/ports.h"
#include "tests/integration/controller_live_fixture.h"

namespace shardgate::integration {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

harness::Stack* LiveStack() { return SharedStack(LiveStackOptions()); }

uint64_t RunningMapVersion(harness::Stack& stack) {
  haproxy::RuntimeClient client(stack.haproxy()->socket());
  Result<uint64_t> version = client.RangeMapVersion(stack.config_spec().ranges_map_path);
  REQUIRE_MESSAGE(version.ok(), version.status().ToString());
  return *version;
}

// The shards map as HAProxy holds it (shard -> spare backend base).
std::vector<std::pair<std::string, std::string>> ShardBindings(harness::Stack& stack) {
  haproxy::RuntimeClient client(stack.haproxy()->socket());
  auto bindings = client.ShowMap(stack.config_spec().shards_map_path);
  REQUIRE_MESSAGE(bindings.ok(), bindings.status().ToString());
  return *bindings;
}

double MetricValue(harness::ControllerProcess& controller, const std::string& name) {
  Result<double> value = controller.Metric(name);
  REQUIRE_MESSAGE(value.ok(), value.status().ToString());
  return *value;
}

std::unique_ptr<TestConsul> ConnectConsul(harness::Stack& stack) {
  Result<std::unique_ptr<TestConsul>> consul = TestConsul::Connect(stack.consul()->url());
  REQUIRE_MESSAGE(consul.ok(), consul.status().ToString());
  return std::move(*consul);
}

TEST_CASE("a rule written to Consul routes the next connection with a key in its range") {
  harness::Stack* stack = LiveStack();
  REQUIRE(stack != nullptr);
  const int rw = stack->rw_port();
  CHECK(NodeVia(rw, 150) == "shard_1/n1");

  Result<controller::RuleSet> rules = AddRule(*stack, 100, 199, "shard_2");
  REQUIRE_MESSAGE(rules.ok(), rules.status().ToString());
  auto written = std::chrono::steady_clock::now();
  CHECK(WaitNodeVia(rw, 150, "shard_2/n1", seconds(5)) == "shard_2/n1");
  auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - written);
  MESSAGE("key 150 reached shard_2 " << ms.count() << " ms after the rule was written");
  CHECK(NodeVia(rw, 99) == "shard_1/n1");
  CHECK(NodeVia(rw, 200) == "shard_1/n1");
  CHECK(NodeVia(stack->ro_port(), 150) == "shard_2/n2");
  CHECK(RunningMapVersion(*stack) == MapVersionNow(*rules));
}

TEST_CASE(
    "a rule with a TTL routes until it expires, then the map reverts without a Consul write") {
  harness::Stack* stack = LiveStack();
  REQUIRE(stack != nullptr);
  const int rw = stack->rw_port();
  std::unique_ptr<TestConsul> consul = ConnectConsul(*stack);
  CHECK(NodeVia(rw, 350) == "shard_1/n1");

  Result<controller::RuleSet> rules = AddRule(*stack, 300, 399, "shard_2", seconds(2));
  REQUIRE_MESSAGE(rules.ok(), rules.status().ToString());
  CHECK(WaitNodeVia(rw, 350, "shard_2/n1", milliseconds(1500)) == "shard_2/n1");
  Result<StoredRules> before = ReadRules(consul->client());
  REQUIRE_MESSAGE(before.ok(), before.status().ToString());
  const uint64_t live_version = RunningMapVersion(*stack);
  CHECK(live_version == MapVersion(*rules, rules->rules.back().created_at));

  // Given nobody writes to Consul, then the expiry alone moves key 350 back to shard_1.
  CHECK(WaitNodeVia(rw, 350, "shard_1/n1", seconds(5)) == "shard_1/n1");
  Result<StoredRules> after = ReadRules(consul->client());
  REQUIRE_MESSAGE(after.ok(), after.status().ToString());
  CHECK(after->modify_index == before->modify_index);
  CHECK(RunningMapVersion(*stack) == live_version + 1);
}

// A shardgate-agent for `node` of `shard` on the stack's Consul, probing every 250 ms like the
// stack's own.
void StartAgent(harness::Stack& stack, harness::PgNode& node, const std::string& shard) {
  harness::AgentProcessOptions ao;
  ao.cluster = kLiveCluster;
  ao.shard = shard;
  ao.node = node.name();
  ao.pg_port = node.port();
  ao.consul_address = stack.consul()->address();
  ao.extra_args = {"--interval=250ms"};
  ao.log_path = node.dir() / "agent.log";
  ao.env = {{"CONSUL_HTTP_TOKEN", ""}, {"CONSUL_HTTP_TOKEN_FILE", ""}};
  auto agent = harness::AgentProcess::Start(std::move(ao));
  REQUIRE_MESSAGE(agent.ok(), agent.status().ToString());
  stack.Adopt(std::move(*agent));
}

TEST_CASE("a shard added at run time is served through a spare backend without a reload") {
  harness::Stack* stack = LiveStack();
  REQUIRE(stack != nullptr);
  haproxy::RuntimeClient client(stack->haproxy()->socket());
  Result<haproxy::ProcessInfo> info_before = client.ShowInfo();
  REQUIRE(info_before.ok());

  auto node = harness::PgNode::StartPrimary({"n1", "shard_4/n1", stack->dir(), 0});
  REQUIRE_MESSAGE(node.ok(), node.status().ToString());
  harness::PgNode& shard4 = stack->Adopt(std::move(*node));
  StartAgent(*stack, shard4, "shard_4");

  Result<controller::RuleSet> rules = AddRule(*stack, 8000, 8999, "shard_4");
  REQUIRE_MESSAGE(rules.ok(), rules.status().ToString());
  CHECK(WaitNodeVia(stack->rw_port(), 8500, "shard_4/n1", seconds(20)) == "shard_4/n1");
  // No replica: the primary serves the shard's reads.
  CHECK(WaitNodeVia(stack->ro_port(), 8500, "shard_4/n1", seconds(5)) == "shard_4/n1");
  CHECK(NodeVia(stack->rw_port(), 7999) == "shard_2/n1");
  CHECK(NodeVia(stack->rw_port(), 9000) == "shard_2/n1");
  CHECK(ShardBindings(*stack) == std::vector<std::pair<std::string, std::string>>{
                                     {"shard_4", haproxy::SpareBackendBase(1)}});

  Result<haproxy::ProcessInfo> info_after = client.ShowInfo();
  REQUIRE(info_after.ok());
  CHECK(info_after->pid == info_before->pid);
  CHECK(info_after->uptime_sec >= info_before->uptime_sec);
}

TEST_CASE(
    "a rules document that is not JSON or does not validate changes nothing, a good one is applied") {
  harness::Stack* stack = LiveStack();
  REQUIRE(stack != nullptr);
  harness::ControllerProcess& controller = *stack->controller();
  std::unique_ptr<TestConsul> consul = ConnectConsul(*stack);
  Result<StoredRules> good = ReadRules(consul->client());
  REQUIRE_MESSAGE(good.ok(), good.status().ToString());
  const HaproxyView before = CurrentView(*stack);
  const double rejected_before = MetricValue(controller, "shardgate_rules_rejected_total");
  const std::string key = controller::RulesKey(kLiveCluster);

  REQUIRE(consul->client().Put(key, R"({"format":"shardgate-rules-1","version":)").ok());
  Result<double> rejected = WaitMetric(controller, "shardgate_rules_rejected_total",
                                       [&](double v) { return v >= rejected_before + 1; });
  CHECK(rejected.ok());
  CHECK(MetricValue(controller, "shardgate_rules_rejected_total") == rejected_before + 1);
  CHECK(CurrentView(*stack) == before);

  controller::RuleSet reversed = WithRule(good->rules, 600, 500, "shard_2");
  REQUIRE(consul->client().Put(key, controller::EncodeRuleSet(reversed)).ok());
  rejected = WaitMetric(controller, "shardgate_rules_rejected_total",
                        [&](double v) { return v >= rejected_before + 2; });
  CHECK(rejected.ok());
  CHECK(MetricValue(controller, "shardgate_rules_rejected_total") == rejected_before + 2);
  CHECK(CurrentView(*stack) == before);
  CHECK(NodeVia(stack->rw_port(), 550) == "shard_1/n1");

  controller::RuleSet fixed = WithRule(good->rules, 500, 600, "shard_2");
  REQUIRE(stack->WriteRules(fixed).ok());
  CHECK(WaitNodeVia(stack->rw_port(), 550, "shard_2/n1", seconds(5)) == "shard_2/n1");
  CHECK(RunningMapVersion(*stack) == MapVersionNow(fixed));
  CHECK(MetricValue(controller, "shardgate_rules_rejected_total") == rejected_before + 2);
}

TEST_CASE(
    "a killed HAProxy restarted from its configuration gets its servers, weights and map back") {
  harness::Stack* stack = LiveStack();
  REQUIRE(stack != nullptr);
  harness::HaproxyProcess& haproxy = *stack->haproxy();
  const HaproxyView before = CurrentView(*stack);
  const auto bindings = ShardBindings(*stack);
  const std::string restarts_metric = "shardgate_haproxy_restarts_total{instance=\"" +
                                      stack->config_spec().socket_path + "\"}";
  const double restarts = MetricValue(*stack->controller(), restarts_metric);

  auto killed = std::chrono::steady_clock::now();
  REQUIRE(::kill(haproxy.pid(), SIGKILL) == 0);
  // Restart() returns once `show info` answers and the frontends accept.
  Status restarted = haproxy.Restart();
  REQUIRE_MESSAGE(restarted.ok(), restarted.ToString());
  auto answering = std::chrono::steady_clock::now();
  Result<HaproxyView> view = WaitView(haproxy.socket(), stack->config_spec().ranges_map_path,
                                      before, seconds(5));
  auto restored = std::chrono::steady_clock::now();
  REQUIRE_MESSAGE(view.ok(), view.status().ToString());
  CHECK(*view == before);
  auto ms = std::chrono::duration_cast<milliseconds>(restored - answering);
  MESSAGE("servers, weights and map version restored "
          << ms.count() << " ms after HAProxy answered again ("
          << std::chrono::duration_cast<milliseconds>(restored - killed).count()
          << " ms after the kill)");
  CHECK(ms < seconds(5));
  CHECK(WaitNodeVia(stack->rw_port(), 42, "shard_1/n1", seconds(5)) == "shard_1/n1");
  CHECK(WaitNodeVia(stack->ro_port(), 7000, "shard_2/n2", seconds(5)) == "shard_2/n2");
  CHECK(ShardBindings(*stack) == bindings);
  CHECK(MetricValue(*stack->controller(), restarts_metric) == restarts + 1);
}

// A second HAProxy from the same configuration text, with its own ports, socket and map files
// under <stack>/haproxy2, its maps empty: only a controller can give it servers and ranges.
// True when there are `count` reports, each for one HAProxy that runs `map_version`, all with
// the same non-empty state digest.
bool ReportsAgree(const std::vector<controller::FleetReport>& reports, size_t count,
                  uint64_t map_version) {
  if (reports.size() != count) return false;
  for (const controller::FleetReport& report : reports) {
    if (report.instances.size() != 1) return false;
    const controller::InstanceApplied& applied = report.instances.front();
    if (!applied.ok || applied.map_version != map_version || applied.state_digest.empty()) {
      return false;
    }
    if (applied.state_digest != reports.front().instances.front().state_digest) return false;
  }
  return true;
}

TEST_CASE("two HAProxys with a controller each on one Consul converge on servers, map and digest") {
  harness::Stack* stack = LiveStack();
  REQUIRE(stack != nullptr);
  SecondHaproxy second = StartSecondHaproxy(*stack);
  auto started = std::chrono::steady_clock::now();
  StartSecondController(*stack, second.spec, "live-second");

  const HaproxyView first_view = CurrentView(*stack);
  Result<HaproxyView> second_view = WaitView(second.process->socket(), second.spec.ranges_map_path,
                                             first_view, seconds(10));
  REQUIRE_MESSAGE(second_view.ok(), second_view.status().ToString());
  CHECK(*second_view == first_view);
  auto ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started);
  MESSAGE("the second HAProxy matched the first " << ms.count()
                                                  << " ms after its controller started");
  CHECK(CurrentView(*stack) == first_view);
  CHECK(WaitNodeVia(second.spec.rw_port, 42, "shard_1/n1") == "shard_1/n1");
  CHECK(WaitNodeVia(second.spec.ro_port, 7000, "shard_2/n2") == "shard_2/n2");

  std::unique_ptr<TestConsul> consul = ConnectConsul(*stack);
  Result<std::vector<controller::FleetReport>> reports = std::vector<controller::FleetReport>{};
  bool agree = harness::Eventually([&] {
    reports = ReadReports(consul->client());
    return reports.ok() && ReportsAgree(*reports, 2, first_view.map_version);
  });
  REQUIRE_MESSAGE(reports.ok(), reports.status().ToString());
  for (const controller::FleetReport& report : *reports) {
    for (const controller::InstanceApplied& applied : report.instances) {
      MESSAGE("report of " << report.controller_id << ": " << applied.name << " map version "
                           << applied.map_version << ", digest " << applied.state_digest
                           << (applied.ok ? "" : ", error " + applied.error));
    }
  }
  CHECK(agree);
  CHECK(std::any_of(reports->begin(), reports->end(), [](const controller::FleetReport& r) {
    return r.controller_id == "live-second";
  }));
}

}  // namespace
}  // namespace shardgate::integration
