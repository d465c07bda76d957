// Instance sync against a scripted HAProxy: first round, steady state, restart, HAProxy away.
#include "controller/instance_sync.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "tests/fakes/fake_runtime_socket.h"

namespace shardgate::controller {
namespace {

constexpr const char* kMap = "/run/shardgate_ranges.map";
constexpr const char* kBackends = "# name\nshardgate_cancel\nshard_1_rw\nshard_1_ro\n\n";
constexpr const char* kStateHeader =
    "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
    "srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health "
    "srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord "
    "srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n";

std::string Info(int pid, int uptime) {
  return "Name: HAProxy\nVersion: 2.6.12\nPid: " + std::to_string(pid) +
         "\nUptime_sec: " + std::to_string(uptime) + "\n";
}

// One `show servers state` line: backend, server, admin bits, weight.
std::string StateLine(const std::string& backend, const std::string& server, int admin,
                      int weight) {
  return "3 " + backend + " 1 " + server + " 127.0.0.1 2 " + std::to_string(admin) + " " +
         std::to_string(weight) + " 1 8 8 2 0 6 0 0 0 - 5411 - 0 0 - - 0\n";
}

InstancePlan Plan() {
  DesiredShard shard;
  shard.shard = "shard_1";
  shard.primary = "n1";
  shard.rw = {{"n1", "127.0.0.1", 5411, 256, ServerMode::kReady}};
  InstancePlan plan;
  plan.shards = {shard};
  plan.segments = std::make_shared<const std::vector<model::Segment>>(
      std::vector<model::Segment>{{0, 4999, "shard_1"}});
  plan.segment_shards = {"shard_1"};
  plan.map_version = 7;
  plan.map_path = kMap;
  return plan;
}

// Scripts an HAProxy whose shard_1_rw has n1 with the given admin bits and map version.
void Script(testing::FakeRuntimeSocket& socket, int pid, int uptime, int admin, int weight,
            std::optional<int> map_version) {
  socket.ReplyAlways("show info", Info(pid, uptime));
  socket.ReplyAlways("show backend", std::string(kBackends));
  socket.ReplyAlways("show servers state", std::string(kStateHeader) +
                                               StateLine("shard_1_rw", "n1", admin, weight) + "\n");
  socket.ReplyAlways("get map", map_version
                                    ? "type=str, case=sensitive, found=yes, idx=tree, "
                                      "key=\"meta\", value=\"" +
                                          std::to_string(*map_version) + "|1|1\", type=\"str\"\n"
                                    : std::string("type=str, case=sensitive, found=no\n"));
  socket.ReplyAlways("prepare map", std::string("New version created: 3\n"));
}

// An HAProxy running map 7 whose shard_1_rw has the wanted n1 (ready) and n9, a node no longer
// in Consul, with the given admin bits.
void ScriptWithGoneNode(testing::FakeRuntimeSocket& socket, int n9_admin) {
  socket.ReplyAlways("show info", Info(10, 5));
  socket.ReplyAlways("show backend", std::string(kBackends));
  socket.ReplyAlways("show servers state", std::string(kStateHeader) +
                                               StateLine("shard_1_rw", "n1", 0, 256) +
                                               StateLine("shard_1_rw", "n9", n9_admin, 256) + "\n");
  socket.ReplyAlways("get map", std::string("type=str, case=sensitive, found=yes, idx=tree, "
                                            "key=\"meta\", value=\"7|1|1\", type=\"str\"\n"));
}

TEST_CASE("a first round sets the servers' states and weights and pushes the map") {
  testing::FakeRuntimeSocket socket;
  Script(socket, 10, 5, /*admin=*/1, /*weight=*/1, std::nullopt);
  haproxy::RuntimeClient client(socket);
  InstanceMemory memory;
  InstanceReport report = SyncInstance(client, Plan(), memory);
  CHECK(report.status.ok());
  CHECK_FALSE(report.restarted);
  CHECK(report.servers.applied == 2);
  CHECK(socket.CommandsStartingWith("set server shard_1_rw/n1 weight 256").size() == 1);
  CHECK(socket.CommandsStartingWith("set server shard_1_rw/n1 state ready").size() == 1);
  CHECK(report.map_pushed);
  CHECK(report.map_version == 7);
  CHECK(socket.CommandsStartingWith("commit map @3 " + std::string(kMap)).size() == 1);
}

TEST_CASE("a round against an HAProxy already in line sends only reads") {
  testing::FakeRuntimeSocket socket;
  Script(socket, 10, 5, /*admin=*/0, /*weight=*/256, 7);
  haproxy::RuntimeClient client(socket);
  InstanceMemory memory;
  InstanceReport report = SyncInstance(client, Plan(), memory);
  CHECK(report.status.ok());
  CHECK_FALSE(report.map_pushed);
  CHECK(socket.commands() == std::vector<std::string>{"show info", "show backend",
                                                      "show servers state",
                                                      "get map " + std::string(kMap) + " meta"});
}

TEST_CASE("a new HAProxy process is noticed and put back in the same round") {
  testing::FakeRuntimeSocket socket;
  Script(socket, 10, 500, /*admin=*/0, /*weight=*/256, 7);
  haproxy::RuntimeClient client(socket);
  InstanceMemory memory;
  CHECK_FALSE(SyncInstance(client, Plan(), memory).restarted);

  testing::FakeRuntimeSocket restarted;  // what a restart from the configuration gives
  Script(restarted, 11, 1, /*admin=*/1, /*weight=*/1, 1);
  haproxy::RuntimeClient client2(restarted);
  InstanceReport report = SyncInstance(client2, Plan(), memory);
  CHECK(report.restarted);
  CHECK(report.map_pushed);
  CHECK(restarted.CommandsStartingWith("set server shard_1_rw/n1 state ready").size() == 1);
}

TEST_CASE("an HAProxy that cannot be read is left exactly as it is") {
  testing::FakeRuntimeSocket socket;
  socket.ReplyAlways("show info", Unavailable("connect /run/haproxy.sock: No such file"));
  haproxy::RuntimeClient client(socket);
  InstanceMemory memory;
  InstanceReport report = SyncInstance(client, Plan(), memory);
  CHECK(report.status.code() == Code::kUnavailable);
  CHECK(socket.commands() == std::vector<std::string>{"show info"});
}

TEST_CASE("a garbled servers reply stops the round before any command is sent") {
  testing::FakeRuntimeSocket socket;
  socket.ReplyAlways("show info", Info(10, 5));
  socket.ReplyAlways("show backend", std::string(kBackends));
  socket.ReplyAlways("show servers state", std::string("<html>oops</html>\n"));
  haproxy::RuntimeClient client(socket);
  InstanceMemory memory;
  InstanceReport report = SyncInstance(client, Plan(), memory);
  CHECK_FALSE(report.status.ok());
  CHECK(socket.commands() ==
        std::vector<std::string>{"show info", "show backend", "show servers state"});
}

TEST_CASE("a server no node wants is deleted only after remove_after, once in maint") {
  testing::FakeRuntimeSocket socket;
  // n1 is wanted and ready; n9 (a node gone from Consul) sits in maint (admin bit 1).
  ScriptWithGoneNode(socket, /*n9_admin=*/1);
  haproxy::RuntimeClient client(socket);
  InstanceMemory memory;
  InstancePlan plan = Plan();
  plan.remove_after = std::chrono::seconds(60);
  plan.now = SteadyTime(std::chrono::seconds(100));
  CHECK(SyncInstance(client, plan, memory).status.ok());
  plan.now += std::chrono::seconds(59);
  SyncInstance(client, plan, memory);
  CHECK(socket.CommandsStartingWith("del server").empty());
  plan.now += std::chrono::seconds(1);
  InstanceReport report = SyncInstance(client, plan, memory);
  CHECK(socket.CommandsStartingWith("del server shard_1_rw/n9").size() == 1);
  CHECK(report.servers.done.back().kind == ServerCommand::Kind::kDelServer);
  CHECK(socket.CommandsStartingWith("del server shard_1_rw/n1").empty());
}

TEST_CASE("a shard without static backends gets a spare slot, servers first, then the binding") {
  testing::FakeRuntimeSocket socket;
  Script(socket, 10, 5, /*admin=*/0, /*weight=*/256, 7);
  socket.Reset();
  socket.ReplyAlways("show info", Info(10, 5));
  socket.ReplyAlways("show backend", std::string("# name\nshard_1_rw\nshard_1_ro\n"
                                                 "shardgate_spare_1_rw\nshardgate_spare_1_ro\n\n"));
  socket.ReplyAlways("show map", std::string(""));
  socket.ReplyAlways("show servers state", std::string(kStateHeader) + "\n");
  socket.ReplyAlways("get map", std::string("type=str, case=sensitive, found=yes, idx=tree, "
                                            "key=\"meta\", value=\"7|1|1\", type=\"str\"\n"));
  haproxy::RuntimeClient client(socket);
  InstanceMemory memory;
  InstancePlan plan = Plan();
  plan.shards_map_path = "/run/shardgate_shards.map";
  plan.shards[0].shard = "shard_4";
  InstanceReport report = SyncInstance(client, plan, memory);
  CHECK(report.status.ok());
  REQUIRE(report.binding.has_value());
  CHECK(report.binding->base.at("shard_4") == "shardgate_spare_1");
  std::vector<std::string> commands = socket.commands();
  auto add = std::find_if(commands.begin(), commands.end(), [](const std::string& c) {
    return c.rfind("add server shardgate_spare_1_rw/n1 ", 0) == 0;
  });
  auto bind = std::find(commands.begin(), commands.end(),
                        "add map /run/shardgate_shards.map shard_4 shardgate_spare_1");
  CHECK(add != commands.end());
  CHECK(bind != commands.end());
  CHECK(add < bind);
}

TEST_CASE("while some Consul record does not decode, servers no record wants are left alone") {
  testing::FakeRuntimeSocket socket;
  ScriptWithGoneNode(socket, /*n9_admin=*/0);
  haproxy::RuntimeClient client(socket);
  InstanceMemory memory;
  InstancePlan plan = Plan();
  plan.keep_unwanted = true;
  plan.remove_after = std::chrono::seconds(0);
  CHECK(SyncInstance(client, plan, memory).status.ok());
  CHECK(socket.CommandsStartingWith("set server shard_1_rw/n9").empty());
  CHECK(socket.CommandsStartingWith("del server").empty());
  plan.keep_unwanted = false;
  SyncInstance(client, plan, memory);
  CHECK(socket.CommandsStartingWith("set server shard_1_rw/n9 state maint").size() == 1);
}

TEST_CASE("a plan that does not manage servers or the map sends only show info") {
  testing::FakeRuntimeSocket socket;
  Script(socket, 10, 5, /*admin=*/1, /*weight=*/1, std::nullopt);
  haproxy::RuntimeClient client(socket);
  InstanceMemory memory;
  InstancePlan plan = Plan();
  plan.manage_servers = false;
  plan.map_version = 0;
  CHECK(SyncInstance(client, plan, memory).status.ok());
  CHECK(socket.commands() == std::vector<std::string>{"show info"});
}

}  // namespace
}  // namespace shardgate::controller
