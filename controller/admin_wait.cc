// Applied-version evaluation and the blocking wait on controller reports (see admin_wait.h).
#include "controller/admin_wait.h"

#include <algorithm>

#include "controller/kv_layout.h"

namespace shardgate::controller {
namespace {

nlohmann::json InstanceJson(const InstanceView& v) {
  return {{"controller", v.controller},
          {"haproxy", v.haproxy},
          {"map_version", v.map_version},
          {"ok", v.ok},
          {"error", v.error}};
}

// Decodes every report under the prefix; the ones that do not decode are named with the reason.
void DecodeReports(const std::vector<consul::KvEntry>& entries, const std::string& prefix,
                   std::vector<FleetReport>& reports,
                   std::vector<std::pair<std::string, std::string>>& bad) {
  for (const consul::KvEntry& e : entries) {
    Result<FleetReport> r = DecodeFleetReport(e.value);
    if (r.ok()) {
      reports.push_back(std::move(*r));
    } else {
      bad.emplace_back(e.key.substr(std::min(prefix.size(), e.key.size())), r.status().message());
    }
  }
}

}  // namespace

bool RunsRulesVersion(uint64_t map_version, uint64_t rules_version) {
  return (map_version >> 24) >= rules_version + 1;
}

AppliedStatus EvaluateApplied(const std::vector<FleetReport>& reports,
                              const std::vector<std::pair<std::string, std::string>>& bad_reports,
                              uint64_t rules_version) {
  AppliedStatus out;
  for (const FleetReport& report : reports) {
    for (const InstanceApplied& inst : report.instances) {
      InstanceView v{report.controller_id, inst.name, inst.map_version, inst.ok, inst.error};
      out.instances.push_back(v);
      if (!inst.ok || !RunsRulesVersion(inst.map_version, rules_version)) {
        out.pending.push_back(std::move(v));
      }
    }
  }
  for (const auto& [controller, why] : bad_reports) {
    InstanceView v{controller, "", 0, false, "report does not decode: " + why};
    out.instances.push_back(v);
    out.pending.push_back(std::move(v));
  }
  out.done = !out.instances.empty() && out.pending.empty();
  return out;
}

nlohmann::json AppliedJson(const AppliedStatus& status, uint64_t map_version) {
  nlohmann::json instances = nlohmann::json::array(), pending = nlohmann::json::array();
  for (const InstanceView& v : status.instances) instances.push_back(InstanceJson(v));
  for (const InstanceView& v : status.pending) pending.push_back(InstanceJson(v));
  return {{"done", status.done},
          {"map_version", map_version},
          {"instances", std::move(instances)},
          {"pending", std::move(pending)}};
}

AppliedWaiter::AppliedWaiter(consul::Client& client, const Clock& clock, std::string cluster)
    : client_(client), clock_(clock), prefix_(ControllersPrefix(cluster)) {}

Result<AppliedStatus> AppliedWaiter::Wait(uint64_t rules_version, Millis timeout) {
  const SteadyTime deadline = clock_.Now() + timeout;
  consul::QueryOptions q;  // index 0: the first read answers at once
  while (true) {
    auto listed = client_.BlockingList(prefix_, q);
    if (!listed.ok()) {
      return Annotate(listed.status(), "reading the controllers' applied reports");
    }
    std::vector<FleetReport> reports;
    std::vector<std::pair<std::string, std::string>> bad;
    DecodeReports(listed->value, prefix_, reports, bad);
    AppliedStatus status = EvaluateApplied(reports, bad, rules_version);
    const Millis left = std::chrono::duration_cast<Millis>(deadline - clock_.Now());
    if (status.done || left <= Millis(0)) return status;
    q.index = listed->meta.index;
    q.wait = left;
  }
}

}  // namespace shardgate::controller
