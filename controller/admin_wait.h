// wait=applied: whether every HAProxy of the fleet runs a rules version yet, judged from the
// controllers' reports in Consul KV (fleet_report.h), and a wait for that with a deadline.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/status.h"
#include "consul/client.h"
#include "controller/fleet_report.h"

namespace shardgate::controller {

// One HAProxy instance as its controller last reported it.
struct InstanceView {
  std::string controller;
  std::string haproxy;
  uint64_t map_version = 0;
  bool ok = false;
  std::string error;
  bool operator==(const InstanceView&) const = default;
};

struct AppliedStatus {
  bool done = false;  // at least one instance, and every one runs the version
  std::vector<InstanceView> instances;
  std::vector<InstanceView> pending;  // those that do not (yet)
};

// True when an HAProxy running range map `map_version` has rules version `rules_version` or a
// newer one (MapVersion in routing_rules.h: the rules version sits above bit 24).
bool RunsRulesVersion(uint64_t map_version, uint64_t rules_version);

// Every instance of every report; a report that did not decode (`bad_reports`: controller id ->
// why) counts as one pending instance.
AppliedStatus EvaluateApplied(const std::vector<FleetReport>& reports,
                              const std::vector<std::pair<std::string, std::string>>& bad_reports,
                              uint64_t rules_version);

// {"done":..,"map_version":..,"instances":[..],"pending":[..]}
nlohmann::json AppliedJson(const AppliedStatus& status, uint64_t map_version);

// Thread-safety: Wait may run on many threads at once (the client is thread-safe).
class AppliedWaiter {
 public:
  AppliedWaiter(consul::Client& client, const Clock& clock, std::string cluster);

  // Watches the reports (blocking queries) until every instance runs `rules_version` or
  // `timeout` passed; the status at that moment either way. Errors: kUnavailable when Consul
  // cannot be read.
  Result<AppliedStatus> Wait(uint64_t rules_version, Millis timeout);

 private:
  consul::Client& client_;
  const Clock& clock_;
  const std::string prefix_;
};

}  // namespace shardgate::controller
