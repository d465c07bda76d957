// Consul JSON bodies for agent services/checks, health and sessions.
#include "consul/codec.h"

#include "consul/json_fields.h"
#include "consul/url.h"

namespace shardgate::consul {
namespace {

using namespace json_fields;  // NOLINT: internal helpers, .cc only

Weights WeightsFromJson(const Json& json) {
  Weights weights;
  if (const Json* value = Find(json, "Weights")) {
    weights.passing = Int(*value, "Passing");
    weights.warning = Int(*value, "Warning");
  }
  return weights;
}

CheckStatus StatusFromJson(const Json& json) {
  std::string text = String(json, "Status", /*required=*/true);
  Result<CheckStatus> status = ParseCheckStatus(text);
  if (!status.ok()) throw DecodeFailure(status.status().message());
  return *status;
}

HealthCheck CheckFromJson(const Json& json) {
  HealthCheck check;
  check.check_id = String(json, "CheckID", /*required=*/true);
  check.name = String(json, "Name");
  check.status = StatusFromJson(json);
  check.output = String(json, "Output");
  check.notes = String(json, "Notes");
  check.service_id = String(json, "ServiceID");
  return check;
}

// The service object of /v1/health/service ("Service" is the name) and /v1/agent/services.
ServiceInstance InstanceFromJson(const Json& json) {
  ServiceInstance service;
  service.id = String(json, "ID", /*required=*/true);
  service.name = String(json, "Service", /*required=*/true);
  service.tags = Strings(json, "Tags");
  service.address = String(json, "Address");
  service.port = Int(json, "Port");
  service.meta = StringMap(json, "Meta");
  service.weights = WeightsFromJson(json);
  return service;
}

ServiceEntry EntryFromJson(const Json& json) {
  ServiceEntry entry;
  const Json& node = Require(json, "Node");
  entry.node = String(node, "Node", /*required=*/true);
  entry.node_address = String(node, "Address");
  entry.service = InstanceFromJson(Require(json, "Service"));
  if (const Json* checks = Find(json, "Checks")) {
    RequireArray(*checks, "Checks");
    for (const Json& check : *checks) entry.checks.push_back(CheckFromJson(check));
  }
  return entry;
}

Json CheckToJson(const TtlCheck& check) {
  Json json = {{"TTL", GoDuration(check.ttl)}};
  if (check.deregister_critical_service_after) {
    json["DeregisterCriticalServiceAfter"] = GoDuration(*check.deregister_critical_service_after);
  }
  if (check.status) json["Status"] = CheckStatusName(*check.status);
  if (!check.notes.empty()) json["Notes"] = check.notes;
  if (!check.check_id.empty()) json["CheckID"] = check.check_id;
  if (!check.name.empty()) json["Name"] = check.name;
  return json;
}

}  // namespace

Result<CheckStatus> ParseCheckStatus(std::string_view text) {
  if (text == "passing") return CheckStatus::kPassing;
  if (text == "warning") return CheckStatus::kWarning;
  if (text == "critical") return CheckStatus::kCritical;
  return ProtocolError("unknown check status \"" + std::string(text) + "\"");
}

std::string EncodeServiceRegistration(const ServiceRegistration& r) {
  Json json = {{"ID", r.id},
               {"Name", r.name},
               {"Tags", r.tags},
               {"Port", r.port},
               {"Meta", Json::object()},
               {"Weights", {{"Passing", r.weights.passing}, {"Warning", r.weights.warning}}}};
  if (!r.address.empty()) json["Address"] = r.address;
  for (const auto& [key, value] : r.meta) json["Meta"][key] = value;
  if (r.check) json["Check"] = CheckToJson(*r.check);
  return json.dump();
}

std::string EncodeCheckUpdate(CheckStatus status, std::string_view output) {
  return Json{{"Status", CheckStatusName(status)}, {"Output", std::string(output)}}.dump();
}

Result<std::map<std::string, AgentServiceState>> DecodeAgentServices(std::string_view body) {
  return Decode<std::map<std::string, AgentServiceState>>(body, [](const Json& json) {
    if (!json.is_object()) throw DecodeFailure("agent services response is not an object");
    std::map<std::string, AgentServiceState> services;
    for (const auto& [id, item] : json.items()) {
      services[id] = AgentServiceState{InstanceFromJson(item), false, ""};
    }
    return services;
  });
}

Result<std::map<std::string, HealthCheck>> DecodeAgentChecks(std::string_view body) {
  return Decode<std::map<std::string, HealthCheck>>(body, [](const Json& json) {
    if (!json.is_object()) throw DecodeFailure("agent checks response is not an object");
    std::map<std::string, HealthCheck> checks;
    for (const auto& [id, item] : json.items()) checks[id] = CheckFromJson(item);
    return checks;
  });
}

Result<std::vector<ServiceEntry>> DecodeHealthEntries(std::string_view body) {
  return Decode<std::vector<ServiceEntry>>(body, [](const Json& json) {
    RequireArray(json, "health response");
    std::vector<ServiceEntry> entries;
    for (const Json& item : json) entries.push_back(EntryFromJson(item));
    return entries;
  });
}

std::string EncodeSessionRequest(const SessionRequest& request) {
  Json json = {{"Behavior", SessionBehaviorName(request.behavior)}};
  if (!request.name.empty()) json["Name"] = request.name;
  if (request.ttl) json["TTL"] = std::to_string(request.ttl->count()) + "s";
  if (request.lock_delay) json["LockDelay"] = GoDuration(*request.lock_delay);
  if (request.node_checks) json["NodeChecks"] = *request.node_checks;
  if (!request.service_checks.empty()) {
    json["ServiceChecks"] = Json::array();
    for (const std::string& id : request.service_checks) {
      json["ServiceChecks"].push_back(Json{{"ID", id}});
    }
  }
  return json.dump();
}

Result<std::string> DecodeSessionId(std::string_view body) {
  return Decode<std::string>(body, [](const Json& json) { return String(json, "ID", true); });
}

Result<std::vector<SessionInfo>> DecodeSessions(std::string_view body) {
  return Decode<std::vector<SessionInfo>>(body, [](const Json& json) {
    RequireArray(json, "sessions response");
    std::vector<SessionInfo> sessions;
    for (const Json& item : json) {
      SessionInfo info;
      info.id = String(item, "ID", /*required=*/true);
      info.name = String(item, "Name");
      info.node = String(item, "Node");
      info.ttl = String(item, "TTL");
      info.behavior = String(item, "Behavior") == "delete" ? SessionBehavior::kDelete
                                                           : SessionBehavior::kRelease;
      sessions.push_back(std::move(info));
    }
    return sessions;
  });
}

}  // namespace shardgate::consul
