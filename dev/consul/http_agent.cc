// /v1/agent/service/* and /v1/agent/check/* write handlers.
#include "dev/consul/agent_decode.h"
#include "dev/consul/http_decode.h"
#include "dev/consul/http_handlers.h"

namespace shardgate::consul::dev {
namespace {

void ReplyEmpty(httplib::Response& res) {
  res.status = 200;
  res.body.clear();
}

void ReplyResult(httplib::Response& res, const Status& st) {
  if (!st.ok()) return ReplyStatus(res, st);
  ReplyEmpty(res);
}

void SetTtlStatus(Api& api, const httplib::Request& req, httplib::Response& res,
                  const std::string& id, const char* status) {
  if (!Authorize(api, req, res, "node:write", api.node_name)) return;
  ReplyResult(res, api.state.UpdateTtlCheck(id, status, req.get_param_value("note")));
}

}  // namespace

void HandleServiceRegister(Api& api, const httplib::Request& req, httplib::Response& res,
                           const std::string&) {
  Result<ServiceDefinition> def = DecodeServiceDefinition(req.body);
  if (!def.ok()) return ReplyStatus(res, def.status());
  if (!Authorize(api, req, res, "service:write", def->service.name)) return;
  const std::string replace = req.get_param_value("replace-existing-checks");
  const bool replace_checks = req.has_param("replace-existing-checks") &&
                              (replace.empty() || replace == "true");
  api.state.RegisterService(std::move(def->service), std::move(def->checks), replace_checks);
  ReplyEmpty(res);
}

void HandleServiceDeregister(Api& api, const httplib::Request& req, httplib::Response& res,
                             const std::string& rest) {
  if (!Authorize(api, req, res, "service:write", rest)) return;
  ReplyResult(res, api.state.DeregisterService(rest));
}

void HandleServiceMaintenance(Api& api, const httplib::Request& req, httplib::Response& res,
                              const std::string& rest) {
  if (rest.empty()) return ReplyText(res, 400, "Missing service ID");
  if (!req.has_param("enable")) return ReplyText(res, 400, "Missing value for enable");
  const std::string enable = req.get_param_value("enable");
  if (enable != "true" && enable != "false") {
    return ReplyText(res, 400, "Invalid value for enable: \"" + enable + "\"");
  }
  if (!Authorize(api, req, res, "service:write", rest)) return;
  ReplyResult(res, api.state.SetServiceMaintenance(rest, enable == "true",
                                                   req.get_param_value("reason")));
}

void HandleCheckRegister(Api& api, const httplib::Request& req, httplib::Response& res,
                         const std::string&) {
  Result<Check> check = DecodeCheckDefinition(req.body);
  if (!check.ok()) return ReplyStatus(res, check.status());
  if (!Authorize(api, req, res, "node:write", api.node_name)) return;
  ReplyResult(res, api.state.RegisterCheck(std::move(*check)));
}

void HandleCheckDeregister(Api& api, const httplib::Request& req, httplib::Response& res,
                           const std::string& rest) {
  if (!Authorize(api, req, res, "node:write", api.node_name)) return;
  ReplyResult(res, api.state.DeregisterCheck(rest));
}

void HandleCheckPass(Api& api, const httplib::Request& req, httplib::Response& res,
                     const std::string& rest) {
  SetTtlStatus(api, req, res, rest, kPassing);
}

void HandleCheckWarn(Api& api, const httplib::Request& req, httplib::Response& res,
                     const std::string& rest) {
  SetTtlStatus(api, req, res, rest, kWarning);
}

void HandleCheckFail(Api& api, const httplib::Request& req, httplib::Response& res,
                     const std::string& rest) {
  SetTtlStatus(api, req, res, rest, kCritical);
}

void HandleCheckUpdate(Api& api, const httplib::Request& req, httplib::Response& res,
                       const std::string& rest) {
  Result<nlohmann::json> json = ParseJsonBody(req.body);
  if (!json.ok()) return ReplyText(res, 400, "Request decode failed: " + json.status().message());
  Result<Fields> f = Fields::Match(*json, {"Status", "Output"}, false, "agent.checkUpdate");
  if (!f.ok()) return ReplyText(res, 400, "Request decode failed: " + f.status().message());
  Result<std::string> status = f->String("Status");
  Result<std::string> output = f->String("Output");
  if (!status.ok())
    return ReplyText(res, 400, "Request decode failed: " + status.status().message());
  if (!output.ok())
    return ReplyText(res, 400, "Request decode failed: " + output.status().message());
  if (*status != kPassing && *status != kWarning && *status != kCritical) {
    return ReplyText(res, 400, "Invalid check status: '" + *status + "'");
  }
  if (!Authorize(api, req, res, "node:write", api.node_name)) return;
  ReplyResult(res, api.state.UpdateTtlCheck(rest, *status, *output));
}

}  // namespace shardgate::consul::dev
