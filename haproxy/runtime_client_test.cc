// Tests for RuntimeClient against the recording fake socket (tests/fakes/fake_runtime_socket.h).
#include "haproxy/runtime_client.h"

#include <doctest/doctest.h>

#include "tests/fakes/fake_runtime_socket.h"

namespace shardgate::haproxy {
namespace {

using testing::FakeRuntimeSocket;

constexpr const char* kMap = "/var/lib/shardgate/shardgate_ranges.map";
constexpr const char* kMetaAbsent = "type=str, case=sensitive, found=no\n\n";
constexpr const char* kMeta4 =
    "type=str, case=sensitive, found=yes, idx=tree, key=\"meta\", value=\"4|1|1\", type=\"str\"\n\n";

std::vector<model::Segment> MakeSegments(size_t n) {
  std::vector<model::Segment> out;
  for (size_t i = 0; i < n; ++i) {
    int64_t lo = static_cast<int64_t>(i) * 1000;
    out.push_back({lo, lo + 999, "shard_" + std::to_string(i % 3 + 1)});
  }
  return out;
}

TEST_CASE("a push reads the current version, then prepares, adds and commits in that order") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("get map ", std::string(kMeta4));
  socket.ReplyOnce("prepare map ", std::string("New version created: 17\n\n"));
  RuntimeClient client(socket);
  Result<uint64_t> pushed = client.PushRangeMap(kMap, {{-10, 10, "shard_1"}});
  REQUIRE(pushed.ok());
  CHECK(*pushed == 5);
  std::vector<std::string> commands = socket.commands();
  REQUIRE(commands.size() == 4);
  CHECK(commands[0] == std::string("get map ") + kMap + " meta");
  CHECK(commands[1] == std::string("prepare map ") + kMap);
  CHECK(commands[2] ==
        std::string("add map @17 ") + kMap + " <<\nmeta 5|1|1\nc0 5|-10:10:shard_1\n");
  CHECK(commands[3] == std::string("commit map @17 ") + kMap);
}

TEST_CASE("a push to a map without meta starts at version 1") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("get map ", std::string(kMetaAbsent));
  socket.ReplyOnce("prepare map ", std::string("New version created: 1\n\n"));
  RuntimeClient client(socket);
  Result<uint64_t> pushed = client.PushRangeMap(kMap, {});
  REQUIRE(pushed.ok());
  CHECK(*pushed == 1);
  CHECK(socket.CommandsStartingWith("add map @1 ")[0].find("meta 1|0|0\n") != std::string::npos);
}

TEST_CASE("an explicit version is used without reading the map") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("prepare map ", std::string("New version created: 3\n\n"));
  RuntimeClient client(socket);
  Result<uint64_t> pushed = client.PushRangeMap(kMap, MakeSegments(3), 42);
  REQUIRE(pushed.ok());
  CHECK(*pushed == 42);
  CHECK(socket.CommandsStartingWith("get map").empty());
}

TEST_CASE("a large push is split into payload commands under 12 KiB that carry every entry") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("prepare map ", std::string("New version created: 2\n\n"));
  RuntimeClient client(socket);
  std::vector<model::Segment> segments = MakeSegments(10'000);
  REQUIRE(client.PushRangeMap(kMap, segments, 9).ok());
  std::vector<std::string> adds = socket.CommandsStartingWith("add map @2 ");
  CHECK(adds.size() > 10);
  std::vector<std::pair<std::string, std::string>> sent;
  for (const std::string& add : adds) {
    CHECK(add.size() + 1 < RuntimeClient::kMaxPayloadCommandBytes);
    std::string payload = add.substr(add.find("<<\n") + 3);
    Result<std::vector<std::pair<std::string, std::string>>> lines = ParseMapFile(payload);
    REQUIRE(lines.ok());
    sent.insert(sent.end(), lines->begin(), lines->end());
  }
  Result<DecodedMap> decoded = DecodeMapEntries(sent);
  REQUIRE(decoded.ok());
  CHECK(decoded->segments == segments);
  CHECK(socket.commands().back() == std::string("commit map @2 ") + kMap);
}

TEST_CASE("a failed add aborts the push without a commit and clears the prepared version") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("prepare map ", std::string("New version created: 8\n\n"));
  socket.ReplyOnce("add map ",
                   std::string("Unknown map identifier. Please use #<id> or <file>.\n\n"));
  RuntimeClient client(socket);
  Result<uint64_t> pushed = client.PushRangeMap(kMap, MakeSegments(5), 3);
  REQUIRE_FALSE(pushed.ok());
  CHECK(pushed.status().code() == Code::kNotFound);
  CHECK(pushed.status().message().find("map version 3 not pushed, live map unchanged") == 0);
  CHECK(socket.CommandsStartingWith("commit map").empty());
  CHECK(socket.commands().back() == std::string("clear map @8 ") + kMap);
}

TEST_CASE("a socket failure in the middle of a push leaves no commit") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("prepare map ", std::string("New version created: 8\n\n"));
  socket.ReplyOnce("add map ", std::string());
  socket.ReplyOnce("add map ", Result<std::string>(Timeout("reply from stats socket timed out")));
  RuntimeClient client(socket);
  Result<uint64_t> pushed = client.PushRangeMap(kMap, MakeSegments(10'000), 3);
  REQUIRE_FALSE(pushed.ok());
  CHECK(pushed.status().code() == Code::kTimeout);
  CHECK(socket.CommandsStartingWith("add map").size() == 2);
  CHECK(socket.CommandsStartingWith("commit map").empty());
}

TEST_CASE("invalid segments are refused before anything is sent") {
  FakeRuntimeSocket socket;
  RuntimeClient client(socket);
  Result<uint64_t> pushed = client.PushRangeMap(kMap, {{5, 1, "a"}});
  CHECK(pushed.status().code() == Code::kInvalidArgument);
  CHECK(socket.commands().empty());
}

TEST_CASE("a malformed current meta stops the push before prepare") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("get map ", std::string("type=str, case=sensitive, found=yes, idx=tree, "
                                           "key=\"meta\", value=\"garbage\", type=\"str\"\n"));
  RuntimeClient client(socket);
  CHECK(client.PushRangeMap(kMap, {}).status().code() == Code::kProtocol);
  CHECK(socket.CommandsStartingWith("prepare").empty());
}

TEST_CASE("server commands are formatted as HAProxy 2.6 expects") {
  FakeRuntimeSocket socket;
  RuntimeClient client(socket);
  CHECK(client.SetServerWeight("shard_1_ro", "n2", 40).ok());
  CHECK(client.SetServerState("shard_1_ro", "n2", "drain").ok());
  CHECK(client.SetServerAddr("shard_1_ro", "n2", "10.0.0.5", 5433).ok());
  AddServerOptions options;
  options.weight = 7;
  options.backup = true;
  CHECK(client.AddServer("shard_1_ro", "n3", "10.0.0.6", 5432, options).ok());
  CHECK(client.EnableHealth("shard_1_ro", "n3").ok());
  CHECK(client.ShutdownSessions("shard_1_rw", "n1").ok());
  CHECK(client.DelServer("shard_1_ro", "n3").ok());
  CHECK(socket.commands() == std::vector<std::string>{
                                 "set server shard_1_ro/n2 weight 40",
                                 "set server shard_1_ro/n2 state drain",
                                 "set server shard_1_ro/n2 addr 10.0.0.5 port 5433",
                                 "add server shard_1_ro/n3 10.0.0.6:5432 weight 7 backup check "
                                 "inter 1000ms fall 2 rise 2",
                                 "enable health shard_1_ro/n3",
                                 "shutdown sessions server shard_1_rw/n1",
                                 "del server shard_1_ro/n3",
                             });
}

TEST_CASE("bad arguments are refused before anything is sent") {
  FakeRuntimeSocket socket;
  RuntimeClient client(socket);
  CHECK(client.SetServerState("b", "s", "up").code() == Code::kInvalidArgument);
  CHECK(client.SetServerWeight("b", "s", 257).code() == Code::kInvalidArgument);
  CHECK(client.SetServerWeight("b c", "s", 1).code() == Code::kInvalidArgument);
  CHECK(client.SetServerWeight("b", "s/t", 1).code() == Code::kInvalidArgument);
  CHECK(client.DelServer("b", "s;shutdown").code() == Code::kInvalidArgument);
  CHECK(client.ShutdownSessions("b", "s;x").code() == Code::kInvalidArgument);
  CHECK(client.SetServerAddr("b", "s", "1.2.3.4", 0).code() == Code::kInvalidArgument);
  CHECK(socket.commands().empty());
}

TEST_CASE("HAProxy's error sentences become errors naming the command") {
  FakeRuntimeSocket socket;
  socket.ReplyAlways("set server", std::string("No such server.\n\n"));
  RuntimeClient client(socket);
  Status s = client.SetServerWeight("shard_1_rw", "gone", 10);
  CHECK(s.code() == Code::kNotFound);
  CHECK(s.message() == "'set server shard_1_rw/gone weight 10' failed: No such server.");
}

TEST_CASE("show servers state reports a missing backend as not found") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("show servers state", std::string("Can't find backend.\n\n"));
  RuntimeClient client(socket);
  Result<std::vector<ServerState>> states = client.ShowServersState("nope");
  CHECK(states.status().code() == Code::kNotFound);
  CHECK(socket.commands()[0] == "show servers state nope");
}

TEST_CASE("an unreachable socket is reported with the command") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("show info",
                   Result<std::string>(Unavailable("connect to stats socket /x: refused")));
  RuntimeClient client(socket);
  Result<ProcessInfo> info = client.ShowInfo();
  CHECK(info.status().code() == Code::kUnavailable);
  CHECK(info.status().message() == "'show info': connect to stats socket /x: refused");
}

TEST_CASE("get map reports an absent key as not found") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("get map", std::string(kMetaAbsent));
  RuntimeClient client(socket);
  CHECK(client.GetMapValue(kMap, "meta").status().code() == Code::kNotFound);
}

TEST_CASE("reading the range map decodes what show map lists") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("show map", std::string("0x1 meta 4|1|2\n0x2 c0 4|-5:5:a,6:9:b\n\n"));
  RuntimeClient client(socket);
  Result<DecodedMap> map = client.ReadRangeMap(kMap);
  REQUIRE(map.ok());
  CHECK(map->version == 4);
  CHECK(map->segments == std::vector<model::Segment>{{-5, 5, "a"}, {6, 9, "b"}});
}

TEST_CASE("show backend lists the backend names HAProxy prints") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("show backend",
                   std::string("# name\nshardgate_cancel\nshardgate_spare_1_rw\n\n"));
  RuntimeClient client(socket);
  Result<std::vector<std::string>> names = client.ShowBackends();
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"shardgate_cancel", "shardgate_spare_1_rw"});
  CHECK(socket.commands() == std::vector<std::string>{"show backend"});
}

TEST_CASE("a garbled show backend reply is a protocol error naming the command") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("show backend", std::string("shard_1_rw\nshard_1_ro\n\n"));
  socket.ReplyOnce("show backend", std::string("Permission denied\n\n"));
  RuntimeClient client(socket);
  Result<std::vector<std::string>> names = client.ShowBackends();
  CHECK(names.status().code() == Code::kProtocol);
  CHECK(names.status().message() == "'show backend': unexpected show backend reply: 'shard_1_rw'");
  CHECK(client.ShowBackends().status().code() == Code::kPermissionDenied);
}

TEST_CASE("map entries are added, set and deleted one by one") {
  constexpr const char* kShards = "/var/lib/shardgate/shardgate_shards.map";
  FakeRuntimeSocket socket;
  RuntimeClient client(socket);
  CHECK(client.AddMapEntry(kShards, "shard_4", "shardgate_spare_1").ok());
  Result<bool> set = client.SetMapEntry(kShards, "shard_4", "shardgate_spare_2");
  CHECK((set.ok() && *set));
  Result<bool> del = client.DelMapEntry(kShards, "shard_4");
  CHECK((del.ok() && *del));
  CHECK(socket.commands() == std::vector<std::string>{
                                 std::string("add map ") + kShards + " shard_4 shardgate_spare_1",
                                 std::string("set map ") + kShards + " shard_4 shardgate_spare_2",
                                 std::string("del map ") + kShards + " shard_4",
                             });
}

TEST_CASE("a key the map lacks is reported as such, unlike a map HAProxy does not know") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("set map ", std::string("entry not found.\n\n"));
  socket.ReplyOnce("del map ", std::string("Key not found.\n\n"));
  socket.ReplyAlways("del map /unknown",
                     std::string("Unknown map identifier. Please use #<id> or <file>.\n\n"));
  RuntimeClient client(socket);
  Result<bool> set = client.SetMapEntry("/m", "shard_9", "x");
  CHECK((set.ok() && !*set));
  Result<bool> del = client.DelMapEntry("/m", "shard_9");
  CHECK((del.ok() && !*del));
  del = client.DelMapEntry("/unknown", "shard_9");
  CHECK(del.status().code() == Code::kNotFound);
  CHECK(del.status().message() ==
        "'del map /unknown shard_9' failed: Unknown map identifier. Please use #<id> or <file>.");
}

TEST_CASE("map edits with blanks are refused unsent") {
  FakeRuntimeSocket socket;
  RuntimeClient client(socket);
  CHECK(client.AddMapEntry("/m", "shard 9", "x").code() == Code::kInvalidArgument);
  CHECK(client.SetMapEntry("/m", "shard_9", "x y").status().code() == Code::kInvalidArgument);
  CHECK(client.DelMapEntry("/m", "").status().code() == Code::kInvalidArgument);
  CHECK(socket.commands().empty());
}

}  // namespace
}  // namespace shardgate::haproxy
