// Controller reports: JSON codec and the writer thread (see fleet_report.h).
#include "controller/fleet_report.h"

#include <nlohmann/json.hpp>

#include "common/log.h"

namespace shardgate::controller {
namespace {

using nlohmann::json;
constexpr std::string_view kFormat = "shardgate-controller-report-1";

int64_t Ms(WallTime t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
WallTime FromMs(int64_t ms) { return WallTime(std::chrono::milliseconds(ms)); }

template <typename T>
Result<T> Field(const json& object, const char* name, const std::string& where) {
  auto it = object.find(name);
  if (it == object.end()) return ProtocolError(where + name + ": missing");
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return ProtocolError(where + name + ": wrong type");
  }
}

Result<InstanceApplied> DecodeInstance(const json& j, const std::string& where) {
  if (!j.is_object()) return ProtocolError(where + ": not an object");
  InstanceApplied a;
  std::string at = where + ".";
  ASSIGN_OR_RETURN(a.name, Field<std::string>(j, "haproxy", at));
  ASSIGN_OR_RETURN(a.ok, Field<bool>(j, "ok", at));
  ASSIGN_OR_RETURN(a.error, Field<std::string>(j, "error", at));
  ASSIGN_OR_RETURN(a.map_version, Field<uint64_t>(j, "map_version", at));
  ASSIGN_OR_RETURN(a.state_digest, Field<std::string>(j, "state_digest", at));
  ASSIGN_OR_RETURN(a.generation, Field<uint64_t>(j, "generation", at));
  ASSIGN_OR_RETURN(int64_t applied_ms, Field<int64_t>(j, "applied_at_ms", at));
  a.applied_at = FromMs(applied_ms);
  return a;
}

}  // namespace

std::string EncodeFleetReport(const FleetReport& report) {
  json instances = json::array();
  for (const InstanceApplied& a : report.instances) {
    instances.push_back({{"haproxy", a.name},
                         {"ok", a.ok},
                         {"error", a.error},
                         {"map_version", a.map_version},
                         {"state_digest", a.state_digest},
                         {"generation", a.generation},
                         {"applied_at_ms", Ms(a.applied_at)}});
  }
  json doc = {{"format", kFormat},
              {"controller_id", report.controller_id},
              {"updated_at_ms", Ms(report.updated_at)},
              {"instances", std::move(instances)}};
  return doc.dump();
}

Result<FleetReport> DecodeFleetReport(std::string_view text) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return ProtocolError("report: not a JSON object");
  ASSIGN_OR_RETURN(std::string format, Field<std::string>(doc, "format", ""));
  if (format != kFormat) return ProtocolError("format: expected " + std::string(kFormat));
  FleetReport report;
  ASSIGN_OR_RETURN(report.controller_id, Field<std::string>(doc, "controller_id", ""));
  ASSIGN_OR_RETURN(int64_t updated_ms, Field<int64_t>(doc, "updated_at_ms", ""));
  report.updated_at = FromMs(updated_ms);
  ASSIGN_OR_RETURN(json list, Field<json>(doc, "instances", ""));
  if (!list.is_array()) return ProtocolError("instances: not an array");
  for (size_t i = 0; i < list.size(); ++i) {
    ASSIGN_OR_RETURN(InstanceApplied a,
                     DecodeInstance(list[i], "instances[" + std::to_string(i) + "]"));
    report.instances.push_back(std::move(a));
  }
  return report;
}

FleetReporter::FleetReporter(consul::Client& client, const Clock& clock, Sleeper& sleeper,
                             std::string key, std::string controller_id)
    : client_(client),
      clock_(clock),
      sleeper_(sleeper),
      key_(std::move(key)),
      controller_id_(std::move(controller_id)) {}

void FleetReporter::Post(const std::vector<InstanceApplied>& instances) {
  board_.PostEdit([&](Pending& p) { p.instances = instances; });
}

void FleetReporter::Run(std::stop_token stop) {
  uint64_t written = 0;
  Millis backoff{0};
  while (!stop.stop_requested()) {
    Pending p = board_.WaitNewer(written, stop);
    if (stop.stop_requested()) return;
    FleetReport report{controller_id_, clock_.WallNow(), p.instances};
    Status s = client_.Put(key_, EncodeFleetReport(report));
    if (s.ok()) {
      written = p.version;
      backoff = Millis(0);
      continue;
    }
    backoff = std::min(Millis(10000), backoff.count() == 0 ? Millis(250) : backoff * 2);
    Log(LogLevel::kDebug, "report_write_failed",
        {{"key", key_}, {"error", s.ToString()}, {"retry_in_ms", std::to_string(backoff.count())}});
    if (!sleeper_.SleepFor(backoff, stop)) return;
  }
}

}  // namespace shardgate::controller
