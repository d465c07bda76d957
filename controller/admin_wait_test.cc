// EvaluateApplied: which HAProxys of the fleet run a rules version, from the controllers' reports.
#include "controller/admin_wait.h"

#include <doctest/doctest.h>

namespace shardgate::controller {
namespace {

InstanceApplied Inst(std::string name, uint64_t map_version, bool ok = true) {
  InstanceApplied a;
  a.name = std::move(name);
  a.map_version = map_version;
  a.ok = ok;
  return a;
}

uint64_t Map(uint64_t rules_version, uint64_t expired = 0) {
  return ((rules_version + 1) << 24) + expired;
}

TEST_CASE("a map version runs a rules version when its upper bits are that version or newer") {
  CHECK(RunsRulesVersion(Map(7), 7));
  CHECK(RunsRulesVersion(Map(7, 3), 7));  // rules of version 7 with three expired since
  CHECK(RunsRulesVersion(Map(8), 7));
  CHECK_FALSE(RunsRulesVersion(Map(6, 100), 7));
  CHECK_FALSE(RunsRulesVersion(0, 0));  // 0: the map was never pushed
}

TEST_CASE("done only when every instance of every report runs the version and is ok") {
  FleetReport a{"lb-1", {}, {Inst("/run/a.sock", Map(5)), Inst("/run/b.sock", Map(5))}};
  FleetReport b{"lb-2", {}, {Inst("/run/c.sock", Map(4))}};
  AppliedStatus s = EvaluateApplied({a, b}, {}, 5);
  CHECK_FALSE(s.done);
  CHECK(s.instances.size() == 3);
  REQUIRE(s.pending.size() == 1);
  CHECK(s.pending[0] == InstanceView{"lb-2", "/run/c.sock", Map(4), true, ""});

  b.instances[0] = Inst("/run/c.sock", Map(5), false);
  CHECK(EvaluateApplied({a, b}, {}, 5).pending.size() == 1);  // not ok: not counted as running
  b.instances[0] = Inst("/run/c.sock", Map(6));
  CHECK(EvaluateApplied({a, b}, {}, 5).done);
}

TEST_CASE("a report that does not decode is a pending instance; no reports at all is not done") {
  FleetReport a{"lb-1", {}, {Inst("/run/a.sock", Map(5))}};
  AppliedStatus s = EvaluateApplied({a}, {{"lb-9", "format: missing"}}, 5);
  CHECK_FALSE(s.done);
  REQUIRE(s.pending.size() == 1);
  CHECK(s.pending[0].controller == "lb-9");
  CHECK(s.pending[0].error == "report does not decode: format: missing");
  CHECK_FALSE(EvaluateApplied({}, {}, 5).done);
}

TEST_CASE("the applied JSON lists instances and pending ones") {
  FleetReport a{"lb-1", {}, {Inst("/run/a.sock", Map(4))}};
  nlohmann::json j = AppliedJson(EvaluateApplied({a}, {}, 5), Map(5));
  CHECK(j == nlohmann::json::parse(R"({"done":false,"map_version":100663296,
    "instances":[{"controller":"lb-1","haproxy":"/run/a.sock","map_version":83886080,"ok":true,"error":""}],
    "pending":[{"controller":"lb-1","haproxy":"/run/a.sock","map_version":83886080,"ok":true,"error":""}]})"));
}

}  // namespace
}  // namespace shardgate::controller
