// Client calls for the local agent (services, TTL checks, maintenance), health and sessions.
#include <utility>

#include "consul/client.h"
#include "consul/client_call.h"
#include "consul/codec.h"
#include "consul/http_errors.h"
#include "consul/url.h"

namespace shardgate::consul {
namespace {

// The check Consul adds while a service is in maintenance mode.
std::string MaintenanceCheckId(std::string_view service_id) {
  return "_service_maintenance:" + std::string(service_id);
}

Status RequireNonEmpty(std::string_view value, const char* what) {
  if (value.empty()) return InvalidArgument(std::string("consul: empty ") + what);
  return Status::Ok();
}

}  // namespace

Status Client::RegisterService(const ServiceRegistration& registration) {
  RETURN_IF_ERROR(RequireNonEmpty(registration.name, "service name"));
  std::string path = "/v1/agent/service/register";
  if (registration.replace_existing_checks) path += "?replace-existing-checks";
  return SendEmpty(Call{"PUT", std::move(path), EncodeServiceRegistration(registration)});
}

Status Client::DeregisterService(std::string_view service_id) {
  RETURN_IF_ERROR(RequireNonEmpty(service_id, "service ID"));
  return SendEmpty(Call{"PUT", "/v1/agent/service/deregister/" + EscapeComponent(service_id)});
}

Status Client::UpdateTtlCheck(std::string_view check_id, CheckStatus status,
                              std::string_view output) {
  RETURN_IF_ERROR(RequireNonEmpty(check_id, "check ID"));
  return SendEmpty(Call{"PUT", "/v1/agent/check/update/" + EscapeComponent(check_id),
                        EncodeCheckUpdate(status, output)});
}

Status Client::CheckCall(std::string_view verb, std::string_view check_id, std::string_view note) {
  RETURN_IF_ERROR(RequireNonEmpty(check_id, "check ID"));
  QueryString query;
  if (!note.empty()) query.Add("note", note);
  return SendEmpty(Call{"PUT", "/v1/agent/check/" + std::string(verb) + "/" +
                                   EscapeComponent(check_id) + query.str()});
}

Status Client::PassCheck(std::string_view check_id, std::string_view note) {
  return CheckCall("pass", check_id, note);
}

Status Client::WarnCheck(std::string_view check_id, std::string_view note) {
  return CheckCall("warn", check_id, note);
}

Status Client::FailCheck(std::string_view check_id, std::string_view note) {
  return CheckCall("fail", check_id, note);
}

Status Client::EnableServiceMaintenance(std::string_view service_id, std::string_view reason) {
  RETURN_IF_ERROR(RequireNonEmpty(service_id, "service ID"));
  QueryString query;
  query.Add("enable", "true");
  if (!reason.empty()) query.Add("reason", reason);
  return SendEmpty(
      Call{"PUT", "/v1/agent/service/maintenance/" + EscapeComponent(service_id) + query.str()});
}

Status Client::DisableServiceMaintenance(std::string_view service_id) {
  RETURN_IF_ERROR(RequireNonEmpty(service_id, "service ID"));
  return SendEmpty(Call{"PUT", "/v1/agent/service/maintenance/" + EscapeComponent(service_id) +
                                   "?enable=false"});
}

Result<std::optional<AgentServiceState>> Client::AgentService(std::string_view service_id) {
  Call services_call{"GET", "/v1/agent/services"};
  ASSIGN_OR_RETURN(HttpResponse services_body, SendExpecting(services_call, {200}));
  auto services = DecodeAgentServices(services_body.body);
  if (!services.ok()) return DecodeError("GET", services_call.path, services.status());
  auto it = services->find(std::string(service_id));
  if (it == services->end()) return std::optional<AgentServiceState>();

  Call checks_call{"GET", "/v1/agent/checks"};
  ASSIGN_OR_RETURN(HttpResponse checks_body, SendExpecting(checks_call, {200}));
  auto checks = DecodeAgentChecks(checks_body.body);
  if (!checks.ok()) return DecodeError("GET", checks_call.path, checks.status());
  AgentServiceState state = std::move(it->second);
  if (auto check = checks->find(MaintenanceCheckId(service_id)); check != checks->end()) {
    state.in_maintenance = true;
    state.maintenance_reason = check->second.notes;
  }
  return std::optional<AgentServiceState>(std::move(state));
}

Result<Queried<std::vector<ServiceEntry>>> Client::HealthService(std::string_view name,
                                                                 bool passing_only,
                                                                 const QueryOptions& q) {
  RETURN_IF_ERROR(RequireNonEmpty(name, "service name"));
  std::string path = "/v1/health/service/" + EscapeComponent(name);
  if (passing_only) path += "?passing";
  ASSIGN_OR_RETURN(Queried<HttpResponse> answer, SendQuery(path, q));
  if (answer.value.status != 200) return HttpError("GET", path, answer.value);
  Result<std::vector<ServiceEntry>> entries = DecodeHealthEntries(answer.value.body);
  if (!entries.ok()) return DecodeError("GET", path, entries.status());
  return Queried<std::vector<ServiceEntry>>{std::move(entries).value(), answer.meta};
}

Result<std::string> Client::CreateSession(const SessionRequest& request) {
  Call call{"PUT", WithDatacenter("/v1/session/create"), EncodeSessionRequest(request)};
  ASSIGN_OR_RETURN(HttpResponse response, SendExpecting(call, {200}));
  Result<std::string> id = DecodeSessionId(response.body);
  if (!id.ok()) return DecodeError(call.method, call.path, id.status());
  return id;
}

Result<std::optional<SessionInfo>> Client::RenewSession(std::string_view session_id) {
  RETURN_IF_ERROR(RequireNonEmpty(session_id, "session ID"));
  Call call{"PUT", WithDatacenter("/v1/session/renew/" + EscapeComponent(session_id))};
  ASSIGN_OR_RETURN(HttpResponse response, SendExpecting(call, {200, 404}));
  if (response.status == 404) return std::optional<SessionInfo>();  // expired or destroyed
  Result<std::vector<SessionInfo>> sessions = DecodeSessions(response.body);
  if (!sessions.ok()) return DecodeError(call.method, call.path, sessions.status());
  if (sessions->empty()) return std::optional<SessionInfo>();
  return std::optional<SessionInfo>(std::move(sessions->front()));
}

Status Client::DestroySession(std::string_view session_id) {
  RETURN_IF_ERROR(RequireNonEmpty(session_id, "session ID"));
  Result<bool> destroyed = SendBool(
      Call{"PUT", WithDatacenter("/v1/session/destroy/" + EscapeComponent(session_id))});
  return destroyed.ok() ? Status::Ok() : destroyed.status();
}

}  // namespace shardgate::consul
