// Controller reports: the JSON round trip, and errors that name the field.
#include "controller/fleet_report.h"

#include <doctest/doctest.h>

namespace shardgate::controller {
namespace {

FleetReport Sample() {
  InstanceApplied a;
  a.name = "/run/haproxy.sock";
  a.ok = true;
  a.map_version = uint64_t{7} << 24;
  a.state_digest = "0123456789abcdef";
  a.generation = 42;
  a.applied_at = WallTime(std::chrono::milliseconds(1'700'000'000'123));
  InstanceApplied b;
  b.name = "127.0.0.1:9999";
  b.error = "unavailable: connect: Connection refused";
  return {"lb-1", WallTime(std::chrono::milliseconds(1'700'000'001'000)), {a, b}};
}

TEST_CASE("a report survives its JSON form unchanged") {
  FleetReport report = Sample();
  auto decoded = DecodeFleetReport(EncodeFleetReport(report));
  REQUIRE(decoded.ok());
  CHECK(*decoded == report);
}

TEST_CASE("a report that is not ours is refused naming what is wrong") {
  CHECK(DecodeFleetReport("<html>").status().message() == "report: not a JSON object");
  CHECK(DecodeFleetReport(R"({"format":"x"})").status().message() ==
        "format: expected shardgate-controller-report-1");
  std::string text = EncodeFleetReport(Sample());
  std::string broken = text;
  broken.replace(broken.find("\"map_version\""), 13, "\"map_versionX\"");
  CHECK(DecodeFleetReport(broken).status().message() == "instances[0].map_version: missing");
  CHECK(DecodeFleetReport(text.substr(0, text.size() / 2)).status().code() == Code::kProtocol);
}

}  // namespace
}  // namespace shardgate::controller
