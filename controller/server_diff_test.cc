// Server diff: the commands for new nodes, changes, fencing and gone nodes; idempotence.
#include "controller/server_diff.h"

#include <doctest/doctest.h>

#include <random>

namespace shardgate::controller {
namespace {

using Kind = ServerCommand::Kind;

DesiredShard Shard(std::string name, std::vector<DesiredServer> rw, std::vector<DesiredServer> ro,
                   std::vector<std::string> fenced = {}) {
  DesiredShard s;
  s.shard = std::move(name);
  s.rw = std::move(rw);
  s.ro = std::move(ro);
  s.fenced = std::move(fenced);
  return s;
}

DesiredServer Want(std::string name, ServerMode mode, int weight = 256, int port = 5411) {
  return {std::move(name), "127.0.0.1", port, weight, mode};
}

ObservedServer Have(std::string backend, std::string name, ServerMode mode, int weight = 256,
                    int port = 5411) {
  return {std::move(backend), std::move(name), "127.0.0.1", port, weight, mode};
}

// What HAProxy does with the commands: the fake the idempotence check runs against.
std::vector<ObservedServer> Apply(std::vector<ObservedServer> servers,
                                  const std::vector<ServerCommand>& commands) {
  for (const ServerCommand& c : commands) {
    if (c.kind == Kind::kAddServer) {
      servers.push_back({c.backend, c.server, c.address, c.port, c.weight, ServerMode::kMaint});
      continue;
    }
    for (ObservedServer& s : servers) {
      if (s.backend != c.backend || s.name != c.server) continue;
      if (c.kind == Kind::kSetAddr) {
        s.address = c.address;
        s.port = c.port;
      }
      if (c.kind == Kind::kSetWeight) s.weight = c.weight;
      if (c.kind == Kind::kSetState) s.mode = c.mode;
    }
  }
  return servers;
}

TEST_CASE("a new node is added, weighted and made ready in that order") {
  auto commands = DiffServers({Shard("s1", {Want("n1", ServerMode::kReady)}, {})}, {});
  REQUIRE(commands.size() == 2);
  CHECK(commands[0].kind == Kind::kAddServer);
  CHECK(commands[0].backend == "s1_rw");
  CHECK(commands[0].weight == 256);
  CHECK(commands[1].kind == Kind::kSetState);
  CHECK(commands[1].mode == ServerMode::kReady);
}

TEST_CASE("a server in line with the desired state gets no command") {
  auto commands = DiffServers(
      {Shard("s1", {Want("n1", ServerMode::kReady)}, {Want("n1", ServerMode::kMaint, 7)})},
      {Have("s1_rw", "n1", ServerMode::kReady), Have("s1_ro", "n1", ServerMode::kMaint, 100)});
  CHECK(commands.empty());
}

TEST_CASE("a weight change on a serving server is one set weight") {
  auto commands = DiffServers({Shard("s1", {}, {Want("n2", ServerMode::kReady, 64)})},
                              {Have("s1_ro", "n2", ServerMode::kReady, 256)});
  REQUIRE(commands.size() == 1);
  CHECK(commands[0].kind == Kind::kSetWeight);
  CHECK(commands[0].weight == 64);
}

TEST_CASE("a fenced primary is put in maint and its sessions are shut down once") {
  DesiredShard s = Shard("s1", {Want("n1", ServerMode::kMaint)}, {}, {"n1"});
  auto commands = DiffServers({s}, {Have("s1_rw", "n1", ServerMode::kReady)});
  REQUIRE(commands.size() == 2);
  CHECK(commands[0].kind == Kind::kSetState);
  CHECK(commands[0].reason == "fenced");
  CHECK(commands[1].kind == Kind::kShutdownSessions);
  CHECK(DiffServers({s}, Apply({Have("s1_rw", "n1", ServerMode::kReady)}, commands)).empty());
}

// The command that makes `server` of `backend` ready, or the one that takes it out.
size_t IndexOf(const std::vector<ServerCommand>& commands, const std::string& backend,
               const std::string& server, ServerMode mode) {
  for (size_t i = 0; i < commands.size(); ++i) {
    const ServerCommand& c = commands[i];
    if (c.kind == Kind::kSetState && c.backend == backend && c.server == server && c.mode == mode) {
      return i;
    }
  }
  FAIL("no set state " << backend << "/" << server);
  return 0;
}

TEST_CASE("a new writer comes in only after the old one is out, whatever the node names") {
  // "a" takes over from "b": in name order "a" would be made ready first.
  DesiredShard s = Shard("s1", {Want("a", ServerMode::kReady), Want("b", ServerMode::kMaint)}, {});
  auto commands = DiffServers({s}, {Have("s1_rw", "a", ServerMode::kMaint),
                                    Have("s1_rw", "b", ServerMode::kReady)});
  CHECK(IndexOf(commands, "s1_rw", "b", ServerMode::kMaint) <
        IndexOf(commands, "s1_rw", "a", ServerMode::kReady));
}

TEST_CASE("a returning replica is in the read backend before the primary leaves it") {
  // n2 back: it becomes ready in s1_ro and n1 (the primary, serving reads meanwhile) goes out.
  DesiredShard s = Shard("s1", {},
                         {Want("n1", ServerMode::kMaint), Want("n2", ServerMode::kReady)});
  auto commands = DiffServers({s}, {Have("s1_ro", "n1", ServerMode::kReady),
                                    Have("s1_ro", "n2", ServerMode::kMaint, 0)});
  CHECK(IndexOf(commands, "s1_ro", "n2", ServerMode::kReady) <
        IndexOf(commands, "s1_ro", "n1", ServerMode::kMaint));
}

TEST_CASE("a server no node desires any more leaves rotation and is not touched again") {
  std::vector<ObservedServer> have = {Have("s1_ro", "n1", ServerMode::kReady),
                                      Have("s1_ro", "old", ServerMode::kReady),
                                      Have("other_backend", "x", ServerMode::kReady)};
  std::vector<DesiredShard> want = {Shard("s1", {}, {Want("n1", ServerMode::kReady)})};
  auto commands = DiffServers(want, have);
  REQUIRE(commands.size() == 1);
  CHECK(commands[0].server == "old");
  CHECK(commands[0].mode == ServerMode::kMaint);
  CHECK(DiffServers(want, Apply(have, commands)).empty());
}

TEST_CASE("applying the diff to random HAProxy states always converges in one round") {
  std::mt19937 rng(3);
  auto mode = [&] { return ServerMode(rng() % 3); };
  for (int round = 0; round < 1000; ++round) {
    std::vector<DesiredServer> rw, ro;
    std::vector<ObservedServer> have;
    for (int i = 0; i < 4; ++i) {
      std::string name = "n" + std::to_string(i);
      if (rng() % 4) rw.push_back(Want(name, mode(), int(rng() % 257), 5400 + int(rng() % 2)));
      if (rng() % 4) ro.push_back(Want(name, mode(), int(rng() % 257), 5400 + int(rng() % 2)));
      if (rng() % 2)
        have.push_back(Have("s1_rw", name, mode(), int(rng() % 257), 5400 + int(rng() % 2)));
      if (rng() % 2)
        have.push_back(Have("s1_ro", name, mode(), int(rng() % 257), 5400 + int(rng() % 2)));
    }
    std::vector<DesiredShard> want = {Shard(
        "s1", rw, ro, rng() % 3 ? std::vector<std::string>{} : std::vector<std::string>{"n0"})};
    auto after = Apply(have, DiffServers(want, have));
    CHECK(DiffServers(want, after).empty());
    for (const DesiredServer& w : rw) {
      for (const ObservedServer& s : after) {
        if (s.backend == "s1_rw" && s.name == w.name) {
          CHECK(s.mode == w.mode);
          if (w.mode != ServerMode::kMaint) CHECK(s.weight == w.weight);
        }
      }
    }
  }
}

}  // namespace
}  // namespace shardgate::controller
