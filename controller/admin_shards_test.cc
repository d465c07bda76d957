// The shard view: nodes from Consul, writers from the desired state, servers per HAProxy.
#include "controller/admin_shards.h"

#include <doctest/doctest.h>

namespace shardgate::controller {
namespace {

model::NodeRecord Node(std::string shard, std::string node, model::Role role) {
  model::NodeRecord n;
  n.cluster = "demo";
  n.shard = std::move(shard);
  n.node = std::move(node);
  n.address = "10.0.0.1";
  n.port = 5432;
  n.role = role;
  n.health = model::Health::kPassing;
  n.timeline = 1;
  n.weight = 100;
  return n;
}

TEST_CASE("a shard's servers are those of its own backends or of the spare slot it is bound to") {
  HaproxyServers h;
  h.servers = {{"shard_1_rw", "n1", "UP", 100, 2},
               {"shard_1_ro", "n2", "UP", 100, 0},
               {"shardgate_spare_0_rw", "n1", "UP", 100, 1},
               {"shard_10_rw", "n1", "UP", 100, 0}};
  CHECK(ServersOfShard(h, "shard_1").size() == 2);
  CHECK(ServersOfShard(h, "shard_4").empty());
  h.spare_binding["shard_4"] = "shardgate_spare_0";
  REQUIRE(ServersOfShard(h, "shard_4").size() == 1);
  CHECK(ServersOfShard(h, "shard_4")[0].sessions == 1);
}

TEST_CASE("every shard Consul knows is listed with its nodes, writer and HAProxy servers") {
  DesiredShard d;
  d.shard = "shard_1";
  d.primary = "n1";
  HaproxyServers h;
  h.haproxy = "/run/haproxy.sock";
  h.servers = {{"shard_1_rw", "n1", "UP", 100, 3}};
  nlohmann::json j =
      ShardsJson(std::vector<model::NodeRecord>{Node("shard_1", "n1", model::Role::kPrimary),
                                                Node("shard_2", "n1", model::Role::kReplica)},
                 {d}, "lb-1", {h});
  CHECK(j.at("consul_known") == true);
  REQUIRE(j.at("shards").size() == 2);
  const nlohmann::json& s1 = j.at("shards")[0];
  CHECK(s1.at("name") == "shard_1");
  CHECK(s1.at("healthy_primary") == true);
  CHECK(s1.at("primary") == "n1");
  CHECK(s1.at("nodes")[0].at("address") == "10.0.0.1:5432");
  CHECK(s1.at("nodes")[0].at("role") == "primary");
  CHECK(s1.at("haproxy")[0].at("servers")[0] ==
        nlohmann::json::parse(
            R"({"backend":"shard_1_rw","server":"n1","state":"UP","weight":100,"sessions":3})"));
  const nlohmann::json& s2 = j.at("shards")[1];
  CHECK(s2.at("healthy_primary") == false);
  CHECK(s2.at("write_block") == "unknown");
  CHECK(s2.at("haproxy")[0].at("servers").empty());
}

TEST_CASE("before Consul answered the view says so and lists no nodes") {
  nlohmann::json j = ShardsJson(std::nullopt, {}, "lb-1", {});
  CHECK(j.at("consul_known") == false);
  CHECK(j.at("shards").empty());
}

}  // namespace
}  // namespace shardgate::controller
