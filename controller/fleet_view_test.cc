// Fleet view: health entries decode into node records; bad instances are skipped with a reason.
#include "controller/fleet_view.h"

#include <doctest/doctest.h>

namespace shardgate::controller {
namespace {

consul::ServiceEntry Entry(const model::NodeRecord& record,
                           std::vector<consul::CheckStatus> checks) {
  model::ServiceFields f = model::EncodeNodeRecord(record);
  consul::ServiceEntry e;
  e.node = "host-1";
  e.node_address = "10.0.0.9";
  e.service = {f.service_id,
               "shardgate-demo",
               f.tags,
               f.address,
               f.port,
               f.meta,
               {f.weight_passing, f.weight_warning}};
  for (consul::CheckStatus status : checks) e.checks.push_back({"c", "c", status, "", "", ""});
  return e;
}

model::NodeRecord Record(std::string node) {
  model::NodeRecord r;
  r.cluster = "demo";
  r.shard = "shard_1";
  r.node = std::move(node);
  r.address = "127.0.0.1";
  r.port = 5411;
  r.role = model::Role::kReplica;
  r.health = model::Health::kPassing;
  r.timeline = 1;
  r.weight = 192;
  return r;
}

TEST_CASE("an instance decodes to the record its agent published") {
  FleetView view = DecodeFleet({Entry(Record("n1"), {consul::CheckStatus::kPassing})});
  REQUIRE(view.nodes.size() == 1);
  CHECK(view.nodes[0] == Record("n1"));
  CHECK(view.skipped.empty());
}

TEST_CASE("an instance's health is the worst of its checks, node and maintenance checks included") {
  FleetView view = DecodeFleet(
      {Entry(Record("n1"), {consul::CheckStatus::kPassing, consul::CheckStatus::kWarning}),
       Entry(Record("n2"), {consul::CheckStatus::kWarning, consul::CheckStatus::kCritical,
                            consul::CheckStatus::kPassing})});
  REQUIRE(view.nodes.size() == 2);
  CHECK(view.nodes[0].health == model::Health::kWarning);
  CHECK(view.nodes[1].health == model::Health::kCritical);
}

TEST_CASE("a service without its own address takes the node's") {
  consul::ServiceEntry e = Entry(Record("n1"), {consul::CheckStatus::kPassing});
  e.service.address = "";
  FleetView view = DecodeFleet({e});
  REQUIRE(view.nodes.size() == 1);
  CHECK(view.nodes[0].address == "10.0.0.9");
}

TEST_CASE("an instance that does not decode is skipped with the field named, the others kept") {
  consul::ServiceEntry bad = Entry(Record("n2"), {consul::CheckStatus::kPassing});
  bad.service.meta.erase("timeline");
  FleetView view = DecodeFleet({Entry(Record("n1"), {consul::CheckStatus::kPassing}), bad});
  CHECK(view.nodes.size() == 1);
  REQUIRE(view.skipped.size() == 1);
  CHECK(view.skipped[0].find("timeline") != std::string::npos);
}

}  // namespace
}  // namespace shardgate::controller
