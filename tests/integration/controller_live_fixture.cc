// The live controller suites' shared pieces (see the header).
#include "tests/integration/controller_live_fixture.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "controller/kv_layout.h"
#include "haproxy/runtime_client.h"
#include "tests/harness/eventually.h"
#include "tests/harness/haproxy_process.h"
#include "tests/harness/ports.h"
#include "tests/harness/psql_client.h"

namespace shardgate::integration {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kPsqlTimeout{5000};

}  // namespace

std::vector<model::Segment> LiveSegments() {
  return {{0, 4999, "shard_1"}, {5000, 9999, "shard_2"}};
}

harness::StackOptions LiveStackOptions() {
  harness::StackOptions o;
  o.shards = {"shard_1", "shard_2"};
  o.replicas = 1;
  o.segments = LiveSegments();
  o.spare_backends = 2;
  o.consul = true;
  o.agents = true;
  o.cluster = kLiveCluster;
  o.agent_args = {"--interval=250ms"};
  o.agents_passing_timeout = seconds(20);
  o.controller = true;
  return o;
}

harness::Stack* SharedStack(const harness::StackOptions& options) {
  static std::unique_ptr<harness::Stack> stack;
  static std::string failure;
  if (!stack && failure.empty()) {
    Result<std::unique_ptr<harness::Stack>> started = harness::Stack::Start(options);
    if (started.ok()) {
      stack = std::move(*started);
    } else {
      failure = started.status().ToString();
    }
  }
  if (!failure.empty()) FAIL_CHECK("the stack did not start: " << failure);
  return stack.get();
}

std::string NodeVia(int port, int64_t key) {
  harness::PsqlArgs args;
  args.port = port;
  args.options = "-c shardgate.key=" + std::to_string(key);
  args.sql = "show cluster_name";
  args.timeout = kPsqlTimeout;
  Result<harness::CommandResult> run = harness::Psql(args);
  if (!run.ok()) return "psql failed: " + run.status().ToString();
  if (run->exit_code != 0) return "psql failed: " + run->err;
  return harness::FirstLine(run->out);
}

std::string WaitNodeVia(int port, int64_t key, const std::string& want, milliseconds timeout) {
  std::string got;
  harness::Eventually([&] { return (got = NodeVia(port, key)) == want; }, timeout);
  return got;
}

std::ostream& operator<<(std::ostream& out, const HaproxyView& view) {
  out << "map version " << view.map_version << "; servers:";
  for (const ServerView& s : view.servers) {
    out << " " << s.backend << "/" << s.server << " admin=" << s.admin << " weight=" << s.weight
        << ";";
  }
  return out;
}

Result<HaproxyView> ReadView(haproxy::RuntimeSocket& socket, const std::string& ranges_map) {
  haproxy::RuntimeClient client(socket);
  ASSIGN_OR_RETURN(std::vector<haproxy::ServerState> states, client.ShowServersState());
  HaproxyView view;
  for (const haproxy::ServerState& s : states) {
    view.servers.push_back({s.backend, s.server, s.admin_state.bits(), s.weight});
  }
  std::sort(view.servers.begin(), view.servers.end());
  ASSIGN_OR_RETURN(view.map_version, client.RangeMapVersion(ranges_map));
  return view;
}

HaproxyView CurrentView(harness::Stack& stack) {
  Result<HaproxyView> view = ReadView(stack.haproxy()->socket(),
                                      stack.config_spec().ranges_map_path);
  REQUIRE_MESSAGE(view.ok(), view.status().ToString());
  return *view;
}

Result<HaproxyView> WaitView(haproxy::RuntimeSocket& socket, const std::string& ranges_map,
                             const HaproxyView& want, milliseconds timeout) {
  Result<HaproxyView> view = HaproxyView{};
  harness::Eventually(
      [&] {
        view = ReadView(socket, ranges_map);
        return view.ok() && *view == want;
      },
      timeout);
  return view;
}

Result<std::unique_ptr<TestConsul>> TestConsul::Connect(const std::string& url) {
  consul::ClientConfig config;
  config.address = url;
  config.request_timeout = seconds(5);
  std::unique_ptr<TestConsul> consul(new TestConsul());
  ASSIGN_OR_RETURN(consul->transport_,
                   consul::CurlTransport::Create({config.address, "", config.connect_timeout}));
  consul->client_ = std::make_unique<consul::Client>(*consul->transport_, config);
  return consul;
}

Result<StoredRules> ReadRules(consul::Client& client) {
  ASSIGN_OR_RETURN(std::optional<consul::KvEntry> entry,
                   client.Get(controller::RulesKey(kLiveCluster)));
  if (!entry) return NotFound("no rules key " + controller::RulesKey(kLiveCluster));
  ASSIGN_OR_RETURN(controller::RuleSet rules, controller::DecodeRuleSet(entry->value));
  return StoredRules{std::move(rules), entry->modify_index};
}

controller::RuleSet WithRule(controller::RuleSet base, int64_t lo, int64_t hi,
                             const std::string& shard, std::optional<milliseconds> ttl) {
  controller::RoutingRule rule;
  rule.id = base.next_id;
  rule.lo = lo;
  rule.hi = hi;
  rule.shard = shard;
  rule.created_at = std::chrono::system_clock::now();
  if (ttl) rule.expires_at = rule.created_at + *ttl;
  rule.reason = "controller live test";
  base.rules.push_back(rule);
  base.next_id += 1;
  base.version += 1;
  return base;
}

Result<controller::RuleSet> AddRule(harness::Stack& stack, int64_t lo, int64_t hi,
                                    const std::string& shard, std::optional<milliseconds> ttl) {
  ASSIGN_OR_RETURN(std::unique_ptr<TestConsul> consul, TestConsul::Connect(stack.consul()->url()));
  ASSIGN_OR_RETURN(StoredRules stored, ReadRules(consul->client()));
  controller::RuleSet rules = WithRule(std::move(stored.rules), lo, hi, shard, ttl);
  RETURN_IF_ERROR(stack.WriteRules(rules));
  return rules;
}

uint64_t MapVersionNow(const controller::RuleSet& rules) {
  return controller::MapVersion(rules, std::chrono::system_clock::now());
}

Result<std::vector<controller::FleetReport>> ReadReports(consul::Client& client) {
  ASSIGN_OR_RETURN(std::vector<consul::KvEntry> entries,
                   client.List(controller::ControllersPrefix(kLiveCluster)));
  std::vector<controller::FleetReport> reports;
  for (const consul::KvEntry& entry : entries) {
    ASSIGN_OR_RETURN(controller::FleetReport report,
                     Annotate(controller::DecodeFleetReport(entry.value), entry.key));
    reports.push_back(std::move(report));
  }
  return reports;
}

Result<double> WaitMetric(harness::ControllerProcess& controller, const std::string& name,
                          const std::function<bool(double)>& wanted, milliseconds timeout) {
  Result<double> value = 0.0;
  harness::Eventually(
      [&] {
        value = controller.Metric(name);
        return value.ok() && wanted(*value);
      },
      timeout);
  return value;
}

SecondHaproxy StartSecondHaproxy(harness::Stack& stack, const std::string& name) {
  SecondHaproxy second{stack.config_spec()};
  haproxy::ConfigSpec& spec = second.spec;
  const std::filesystem::path dir = stack.dir() / name;
  std::filesystem::create_directories(dir);
  spec.socket_path = (dir / "haproxy.sock").string();
  spec.ranges_map_path = (dir / "shardgate_ranges.map").string();
  spec.cancel_map_path = (dir / "shardgate_cancel.map").string();
  spec.shards_map_path = (dir / "shardgate_shards.map").string();
  for (int* port : {&spec.rw_port, &spec.ro_port, &spec.stats_port}) {
    Result<int> free = harness::FreePort();
    REQUIRE(free.ok());
    *port = *free;
  }
  harness::HaproxyOptions ho;
  ho.dir = dir;
  ho.config_text = haproxy::RenderConfig(spec);
  ho.socket_path = spec.socket_path;
  ho.tcp_ports = {spec.rw_port, spec.ro_port};
  ho.files = {{spec.ranges_map_path, ""}, {spec.cancel_map_path, ""}, {spec.shards_map_path, ""}};
  auto started = harness::HaproxyProcess::Start(std::move(ho));
  REQUIRE_MESSAGE(started.ok(), started.status().ToString());
  second.process = &stack.Adopt(std::move(*started));
  return second;
}

// A second controller, `id`, for the second HAProxy only, on the stack's Consul; ready.
harness::ControllerProcess& StartSecondController(harness::Stack& stack,
                                                  const haproxy::ConfigSpec& spec,
                                                  const std::string& id,
                                                  const std::vector<std::string>& extra_args) {
  harness::ControllerProcessOptions co = stack.controller()->options();
  co.haproxy_sockets = {spec.socket_path};
  co.ranges_map = spec.ranges_map_path;
  co.shards_map = spec.shards_map_path;
  co.listen_port = 0;
  co.controller_id = id;
  co.extra_listen_ports.clear();
  co.extra_args.insert(co.extra_args.end(), extra_args.begin(), extra_args.end());
  co.log_path = std::filesystem::path(spec.socket_path).parent_path() / (id + ".log");
  auto controller = harness::ControllerProcess::Start(std::move(co));
  REQUIRE_MESSAGE(controller.ok(), controller.status().ToString());
  harness::ControllerProcess& adopted = stack.Adopt(std::move(*controller));
  Status ready = adopted.WaitReady(std::chrono::seconds(20));
  REQUIRE_MESSAGE(ready.ok(), ready.ToString());
  return adopted;
}

}  // namespace shardgate::integration
