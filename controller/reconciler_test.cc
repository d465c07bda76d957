// The reconcile loop against a scripted HAProxy and a fake clock: when rounds run, what they
// leave alone, restarts, rule expiry, unreachable HAProxy, rejected rules, failovers.
#include "controller/reconciler.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "common/file.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_runtime_socket.h"

namespace shardgate::controller {
namespace {

using model::Health;
using model::NodeRecord;
using model::Role;
using std::chrono::seconds;

constexpr const char* kStateHeader =
    "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health "
    "srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord "
    "srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";

NodeRecord Node(std::string node, Role role, int64_t timeline, Health health = Health::kPassing) {
  NodeRecord r;
  r.cluster = "demo";
  r.shard = "shard_1";
  r.node = std::move(node);
  r.address = "127.0.0.1";
  r.port = r.node == "n1" ? 5401 : 5402;
  r.role = role;
  r.health = health;
  r.timeline = timeline;
  r.weight = 200;
  return r;
}

// An HAProxy with no servers yet and no map, answering as HAProxy 2.6 does.
void ScriptEmpty(testing::FakeRuntimeSocket& socket, int pid) {
  socket.ReplyAlways("show info", "Name: HAProxy\nVersion: 2.6.12\nPid: " + std::to_string(pid) +
                                      "\nUptime_sec: 5\n");
  socket.ReplyAlways("show backend", std::string("# name\nshard_1_rw\nshard_1_ro\n\n"));
  socket.ReplyAlways("show servers state", std::string(kStateHeader) + "\n");
  socket.ReplyAlways("get map", std::string("type=str, case=sensitive, found=no\n"));
  socket.ReplyAlways("prepare map", std::string("New version created: 3\n"));
  socket.ReplyAlways("add server", std::string("New server registered.\n"));
}

struct Fixture {
  Fixture() {
    dir = std::filesystem::temp_directory_path() /
          ("reconciler_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    ScriptEmpty(socket, 10);
    ReconcilerOptions o;
    o.ranges_map = (dir / "ranges.map").string();
    o.resync_interval = seconds(30);
    o.check_interval = std::chrono::milliseconds(200);
    reconciler = std::make_unique<Reconciler>(clock, metrics, o,
                                              std::vector<InstanceTarget>{{"h1", &socket}});
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  RuleSet Rules(std::optional<WallTime> expires = std::nullopt) {
    RuleSet set;
    set.version = 1;
    set.next_id = 3;
    set.rules.push_back({1, 0, 9999, "shard_1", clock.WallNow(), std::nullopt, ""});
    set.rules.push_back({2, 100, 199, "shard_2", clock.WallNow(), expires, ""});
    return set;
  }

  // One primary n1 applied with the rules, then a fresh script for HAProxy process `pid`
  // (the same pid: nothing changed on HAProxy's side).
  void Settle(int pid = 10) {
    reconciler->SetFleet({{Node("n1", Role::kPrimary, 1)}, {}});
    reconciler->SetRules(Rules());
    reconciler->Step();
    socket.Reset();
    ScriptEmpty(socket, pid);
  }

  static inline int counter = 0;
  std::filesystem::path dir;
  testing::FakeClock clock;
  ControllerMetrics metrics{clock};
  testing::FakeRuntimeSocket socket;
  std::unique_ptr<Reconciler> reconciler;
};

TEST_CASE("before Consul answered, servers and the map are left exactly as they are") {
  Fixture f;
  f.reconciler->Step();
  for (const std::string& c : f.socket.commands()) {
    CHECK_MESSAGE(c.rfind("show", 0) == 0, c);
    CHECK(c.rfind("show servers state", 0) != 0);
  }
  CHECK(f.reconciler->NotReadyReason().value().find("health") != std::string::npos);
}

TEST_CASE("the first inputs bring HAProxy in line and the map file on disk follows") {
  Fixture f;
  f.reconciler->SetFleet({{Node("n1", Role::kPrimary, 1), Node("n2", Role::kReplica, 1)}, {}});
  f.reconciler->SetRules(f.Rules());
  f.reconciler->Step();
  CHECK(f.socket.CommandsStartingWith("add server shard_1_rw/n1 127.0.0.1:5401").size() == 1);
  CHECK(f.socket.CommandsStartingWith("add server shard_1_ro/n2 127.0.0.1:5402").size() == 1);
  CHECK(f.socket.CommandsStartingWith("set server shard_1_rw/n1 state ready").size() == 1);
  CHECK(f.socket.CommandsStartingWith("commit map").size() == 1);
  CHECK_FALSE(f.reconciler->NotReadyReason().has_value());
  auto applied = f.reconciler->Applied();
  REQUIRE(applied.size() == 1);
  CHECK(applied[0].ok);
  CHECK(applied[0].map_version == (uint64_t{2} << 24));
  CHECK(applied[0].state_digest.size() == 16);
  auto file = ReadFile((f.dir / "ranges.map").string());
  REQUIRE(file.ok());
  CHECK(file->find("meta " + std::to_string(uint64_t{2} << 24) + "|") != std::string::npos);
}

TEST_CASE("with nothing new, rounds between resyncs only ask HAProxy who it is") {
  Fixture f;
  f.Settle();
  for (int i = 0; i < 5; ++i) {
    f.clock.Advance(std::chrono::milliseconds(200));
    f.reconciler->Step();
  }
  CHECK(f.socket.commands() == std::vector<std::string>(5, "show info"));
}

TEST_CASE("a Consul answer that changes no record (a check's output) starts no round") {
  Fixture f;
  f.Settle();
  f.reconciler->SetFleet({{Node("n1", Role::kPrimary, 1)}, {}});
  f.clock.Advance(std::chrono::milliseconds(200));
  f.reconciler->Step();
  CHECK(f.socket.commands() == std::vector<std::string>{"show info"});
}

TEST_CASE("an HAProxy restart is noticed by the next check and everything is put back") {
  Fixture f;
  f.Settle(11);
  f.clock.Advance(std::chrono::milliseconds(200));
  SteadyTime next = f.reconciler->Step();
  CHECK(f.socket.CommandsStartingWith("add server shard_1_rw/n1").size() == 1);
  CHECK(f.socket.CommandsStartingWith("commit map").size() == 1);
  CHECK(next - f.clock.Now() <= std::chrono::milliseconds(200));
  CHECK(f.metrics.Render().find("shardgate_haproxy_restarts_total{instance=\"h1\"} 1") !=
        std::string::npos);
}

TEST_CASE("a rule's expiry wakes the loop at that moment and changes the map by itself") {
  Fixture f;
  WallTime expiry = f.clock.WallNow() + seconds(2);
  f.reconciler->SetFleet({{Node("n1", Role::kPrimary, 1)}, {}});
  f.reconciler->SetRules(f.Rules(expiry));
  SteadyTime next = f.reconciler->Step();
  CHECK(f.reconciler->Applied()[0].map_version == (uint64_t{2} << 24));
  // The next wake is the next check, the expiry being further away; walk to the expiry.
  while (f.clock.WallNow() < expiry) {
    f.clock.Advance(next - f.clock.Now());
    next = f.reconciler->Step();
  }
  CHECK(f.socket.CommandsStartingWith("commit map").size() == 2);
  CHECK(f.reconciler->Applied()[0].map_version == (uint64_t{2} << 24) + 1);
}

TEST_CASE("an unreachable HAProxy is retried at every check and synced as soon as it answers") {
  Fixture f;
  f.socket.Reset();
  f.socket.ReplyAlways("show", Unavailable("connect: No such file or directory"));
  f.reconciler->SetFleet({{Node("n1", Role::kPrimary, 1)}, {}});
  f.reconciler->SetRules(f.Rules());
  f.reconciler->Step();
  CHECK(f.reconciler->NotReadyReason().value().find("haproxy h1") != std::string::npos);
  f.clock.Advance(std::chrono::milliseconds(200));
  SteadyTime next = f.reconciler->Step();
  CHECK(next - f.clock.Now() <= std::chrono::milliseconds(200));
  f.socket.Reset();
  ScriptEmpty(f.socket, 12);
  f.clock.Advance(std::chrono::milliseconds(200));
  f.reconciler->Step();
  CHECK(f.socket.CommandsStartingWith("add server shard_1_rw/n1").size() == 1);
  CHECK_FALSE(f.reconciler->NotReadyReason().has_value());
}

TEST_CASE("a rejected rules document changes nothing: the last good map stays") {
  Fixture f;
  f.Settle();
  f.reconciler->RejectRules(ProtocolError("rules[0].hi is missing"));
  f.clock.Advance(std::chrono::milliseconds(200));
  f.reconciler->Step();
  CHECK(f.socket.CommandsStartingWith("prepare map").empty());
  CHECK(f.metrics.Render().find("shardgate_rules_rejected_total 1") != std::string::npos);
}

TEST_CASE("a promoted replica on a newer timeline takes writes and the failover is counted") {
  Fixture f;
  f.reconciler->SetFleet({{Node("n1", Role::kPrimary, 1), Node("n2", Role::kReplica, 1)}, {}});
  f.reconciler->SetRules(f.Rules());
  f.reconciler->Step();
  f.reconciler->SetFleet(
      {{Node("n1", Role::kPrimary, 1, Health::kCritical), Node("n2", Role::kPrimary, 2)}, {}});
  f.reconciler->Step();
  CHECK(f.socket.CommandsStartingWith("set server shard_1_rw/n2 state ready").size() == 1);
  CHECK(f.metrics.Render().find("shardgate_backend_failover_total{shard=\"shard_1\"} 1") !=
        std::string::npos);
}

}  // namespace
}  // namespace shardgate::controller
