// A shard added while HAProxy runs: served through a spare backend that the shards map binds to
// it, with servers added through the runtime socket, and without a reload.
#include <doctest/doctest.h>

#include <memory>

#include "controller/backend_slots.h"
#include "haproxy/runtime_client.h"
#include "tests/harness/eventually.h"
#include "tests/harness/pgwire_client.h"
#include "tests/harness/psql_client.h"
#include "tests/harness/stack.h"
#include "tests/integration/router_fixture.h"

namespace shardgate::integration {
namespace {

constexpr int64_t kShard4Key = 6000;

// shard_1 with static backends and two spare slots; keys 5000..9999 are shard_4's, which has
// no backend of its own.
std::vector<model::Segment> SplitSegments() {
  return {{0, 4999, "shard_1"}, {5000, 9999, "shard_4"}};
}

// The shards map as HAProxy holds it, shard -> base.
std::map<std::string, std::string> HeldBindings(haproxy::RuntimeClient& client,
                                                const std::string& map_path) {
  auto entries = client.ShowMap(map_path);
  REQUIRE_MESSAGE(entries.ok(), entries.status().ToString());
  return {entries->begin(), entries->end()};
}

// What the controller does for a set of wanted shards: bind them to slots and edit the map.
std::vector<controller::MapEdit> Bind(haproxy::RuntimeClient& client, const std::string& map_path,
                                      const std::vector<std::string>& shards) {
  auto backends = client.ShowBackends();
  REQUIRE_MESSAGE(backends.ok(), backends.status().ToString());
  std::map<std::string, std::string> held = HeldBindings(client, map_path);
  controller::BackendBinding binding = controller::BindBackends(shards, *backends, held);
  std::vector<controller::MapEdit> edits = controller::DiffBindingMap(held, binding);
  Status applied = controller::ApplyMapEdits(client, map_path, edits);
  REQUIRE_MESSAGE(applied.ok(), applied.ToString());
  return edits;
}

// `select inet_server_port()` through the router with shard_4's key, or psql's error.
std::string ServerPortVia(int port) {
  auto result = PsqlVia(port, KeyOption(kShard4Key), "select inet_server_port()");
  if (!result.ok()) return result.status().ToString();
  if (result->exit_code != 0) return result->err;
  return harness::FirstLine(result->out);
}

TEST_CASE("a shard added at run time is served through a bound spare backend without a reload") {
  harness::StackOptions options;
  options.shards = {"shard_1"};
  options.replicas = 0;
  options.spare_backends = 2;
  options.segments = {{0, 4999, "shard_1"}};
  auto started = harness::Stack::Start(options);
  REQUIRE_MESSAGE(started.ok(), started.status().ToString());
  harness::Stack& stack = **started;
  auto node = harness::PgNode::StartPrimary({"n1", "shard_4/n1", stack.dir(), 0});
  REQUIRE_MESSAGE(node.ok(), node.status().ToString());
  harness::PgNode& shard4 = stack.Adopt(std::move(*node));
  haproxy::RuntimeClient client(stack.haproxy()->socket());
  const std::string shards_map = stack.config_spec().shards_map_path;
  auto before = client.ShowInfo();
  REQUIRE(before.ok());

  REQUIRE(stack.PushRangeMap(SplitSegments()).ok());
  harness::ErrorFields refused =
      StartupErrorVia(stack.rw_port(), harness::KeyedParams("postgres", "postgres", kShard4Key));
  CHECK(refused.sqlstate == "08004");
  CHECK(refused.message ==
        "shardgate: shard shard_4 of shard key 6000 has no HAProxy backend (static or bound): "
        "no backend shard_4_rw and no binding in the shards map");

  haproxy::AddServerOptions server;
  REQUIRE(client.AddServer("shardgate_spare_1_rw", "n1", "127.0.0.1", shard4.port(), server).ok());
  REQUIRE(client.SetServerState("shardgate_spare_1_rw", "n1", "ready").ok());
  REQUIRE(client.EnableHealth("shardgate_spare_1_rw", "n1").ok());
  CHECK(Bind(client, shards_map, {"shard_1", "shard_4"}) ==
        std::vector<controller::MapEdit>{
            {controller::MapEdit::Kind::kAdd, "shard_4", "shardgate_spare_1"}});

  const std::string want = std::to_string(shard4.port());
  std::string got;
  CHECK_MESSAGE(harness::Eventually([&] { return (got = ServerPortVia(stack.rw_port())) == want; }),
                "psql got: " << got);
  CHECK(ClusterNameVia(stack.rw_port(), 42) == "shard_1/n1");
  CHECK(ClusterNameVia(stack.rw_port(), kShard4Key) == "shard_4/n1");

  // Released: the next connection is refused again.
  CHECK(Bind(client, shards_map, {"shard_1"}) ==
        std::vector<controller::MapEdit>{{controller::MapEdit::Kind::kDel, "shard_4", ""}});
  CHECK(StartupErrorVia(stack.rw_port(), harness::KeyedParams("postgres", "postgres", kShard4Key))
            .sqlstate == "08004");

  auto after = client.ShowInfo();
  REQUIRE(after.ok());
  CHECK(after->pid == before->pid);
  CHECK(after->uptime_sec >= before->uptime_sec);
}

}  // namespace
}  // namespace shardgate::integration
