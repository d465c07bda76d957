// Server apply: the runtime commands each diff command becomes, failures, and reading states.
#include "controller/server_apply.h"

#include <doctest/doctest.h>

#include "tests/fakes/fake_runtime_socket.h"

namespace shardgate::controller {
namespace {

using Kind = ServerCommand::Kind;

ServerCommand Cmd(Kind kind, std::string server, ServerMode mode = ServerMode::kReady,
                  int weight = 64) {
  ServerCommand c;
  c.kind = kind;
  c.backend = "shard_1_ro";
  c.server = std::move(server);
  c.address = "127.0.0.1";
  c.port = 5413;
  c.weight = weight;
  c.mode = mode;
  return c;
}

TEST_CASE("each command becomes the runtime-API command HAProxy 2.6 expects") {
  testing::FakeRuntimeSocket socket;
  haproxy::RuntimeClient client(socket);
  ApplyOutcome outcome = ApplyCommands(
      client, {Cmd(Kind::kAddServer, "n3"), Cmd(Kind::kSetAddr, "n3"), Cmd(Kind::kSetWeight, "n3"),
               Cmd(Kind::kSetState, "n3", ServerMode::kReady),
               Cmd(Kind::kSetState, "n1", ServerMode::kMaint), Cmd(Kind::kShutdownSessions, "n1")});
  CHECK(outcome.applied == 6);
  CHECK(outcome.failed == 0);
  CHECK(socket.commands() ==
        std::vector<std::string>{
            "add server shard_1_ro/n3 127.0.0.1:5413 weight 64 check inter 1000ms fall 2 rise 2",
            "enable health shard_1_ro/n3",
            "set server shard_1_ro/n3 addr 127.0.0.1 port 5413",
            "set server shard_1_ro/n3 weight 64",
            "set server shard_1_ro/n3 state ready",
            "set server shard_1_ro/n1 state maint",
            "shutdown sessions server shard_1_ro/n1",
        });
}

TEST_CASE("a failed command is reported with what it was and the later ones still go") {
  testing::FakeRuntimeSocket socket;
  socket.ReplyOnce("set server shard_1_ro/gone weight", std::string("No such server.\n"));
  haproxy::RuntimeClient client(socket);
  ApplyOutcome outcome =
      ApplyCommands(client, {Cmd(Kind::kSetWeight, "gone"), Cmd(Kind::kSetWeight, "n2")});
  CHECK(outcome.applied == 1);
  CHECK(outcome.failed == 1);
  REQUIRE(outcome.errors.size() == 1);
  CHECK(outcome.errors[0].find("set_weight shard_1_ro/gone") == 0);
  CHECK(socket.CommandsStartingWith("set server shard_1_ro/n2 weight").size() == 1);
}

TEST_CASE("HAProxy's admin flags read as the mode the controller set") {
  auto state = [](int bits) {
    haproxy::ServerState s;
    s.backend = "b";
    s.server = "s";
    s.addr = "127.0.0.1";
    s.port = 1;
    s.weight = 9;
    s.admin_state = *haproxy::AdminState::FromBits(bits);
    return s;
  };
  auto observed = ObserveServers({state(0x00), state(0x01), state(0x08), state(0x09), state(0x04)});
  REQUIRE(observed.size() == 5);
  CHECK(observed[0].mode == ServerMode::kReady);
  CHECK(observed[1].mode == ServerMode::kMaint);
  CHECK(observed[2].mode == ServerMode::kDrain);
  CHECK(observed[3].mode == ServerMode::kMaint);  // maintenance wins over drain
  CHECK(observed[4].mode == ServerMode::kReady);  // CMAINT alone: left after `state ready`
  CHECK(observed[0].weight == 9);
}

}  // namespace
}  // namespace shardgate::controller
