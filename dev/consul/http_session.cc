// /v1/session/* handlers.
#include "dev/consul/http_decode.h"
#include "dev/consul/http_encode.h"
#include "dev/consul/http_handlers.h"

namespace shardgate::consul::dev {
namespace {

constexpr auto kLockDelaySecondsBelow = 1000;  // Consul: a bare number below 1000 is seconds

Status ParseLockDelay(const Fields& f, SessionRequest* r) {
  if (!f.Has("LockDelay")) return Status::Ok();
  const nlohmann::json& v = f.Raw("LockDelay");
  if (v.is_number_integer()) {
    int64_t n = v.get<int64_t>();
    r->lock_delay = n < kLockDelaySecondsBelow ? Nanos(std::chrono::seconds(n)) : Nanos(n);
    return Status::Ok();
  }
  Result<Nanos> d = f.Duration("LockDelay");
  if (!d.ok()) return InvalidArgument(d.status().message());
  r->lock_delay = *d;
  return Status::Ok();
}

Status ParseServiceChecks(const Fields& f, SessionRequest* r) {
  if (!f.Has("ServiceChecks")) return Status::Ok();
  if (!f.Raw("ServiceChecks").is_array()) {
    return InvalidArgument("json: cannot unmarshal into Go struct field Session.ServiceChecks");
  }
  for (const auto& item : f.Raw("ServiceChecks")) {
    ASSIGN_OR_RETURN(Fields sc,
                     Fields::Match(item, {"ID", "Namespace"}, false, "structs.ServiceCheck"));
    ASSIGN_OR_RETURN(std::string id, sc.String("ID"));
    r->service_checks.push_back(id);
  }
  return Status::Ok();
}

Result<SessionRequest> ParseSessionRequest(const std::string& body) {
  SessionRequest r;
  if (body.empty()) return r;
  ASSIGN_OR_RETURN(nlohmann::json json, ParseJsonBody(body));
  ASSIGN_OR_RETURN(Fields f, Fields::Match(json,
                                           {"ID", "Name", "Node", "LockDelay", "Behavior", "TTL",
                                            "Checks", "NodeChecks", "ServiceChecks", "Namespace",
                                            "Partition", "CreateIndex", "ModifyIndex"},
                                           false, "structs.Session"));
  Result<std::string> name = f.String("Name");
  Result<std::string> node = f.String("Node");
  Result<std::string> behavior = f.String("Behavior");
  Result<std::string> ttl = f.String("TTL");
  for (const Status* st : {&name.status(), &node.status(), &behavior.status(), &ttl.status()}) {
    RETURN_IF_ERROR(*st);
  }
  r.name = *name;
  r.node = *node;
  r.behavior = *behavior;
  r.ttl = *ttl;
  for (const char* field : {"Checks", "NodeChecks"}) {
    if (!f.Has(field)) continue;
    ASSIGN_OR_RETURN(r.node_checks, f.StringList(field));
  }
  RETURN_IF_ERROR(ParseLockDelay(f, &r));
  RETURN_IF_ERROR(ParseServiceChecks(f, &r));
  return r;
}

Json Sessions(const std::vector<Session>& sessions) {
  Json out = Json::array();
  for (const Session& s : sessions) out.push_back(EncodeSession(s));
  return out;
}

struct SessionsView {
  uint64_t index = 0;
  std::vector<Session> sessions;
};

// Blocking read of the sessions table keeping those `keep` accepts.
template <typename Keep>
void ListSessions(Api& api, const httplib::Request& req, httplib::Response& res, Keep keep) {
  std::optional<Blocking> blocking = ParseBlocking(req, res);
  if (!blocking) return;
  if (!ServesDatacenter(api, req, res)) return;
  bool anonymous = false;
  if (!ResolveToken(api, req, res, &anonymous)) return;
  SessionsView view = api.state.Block(blocking->index, blocking->deadline, [&](const State& s) {
    SessionsView v;
    v.index = s.sessions_index();
    if (anonymous) return v;
    for (const auto& [id, session] : s.sessions()) {
      if (keep(session)) v.sessions.push_back(session);
    }
    return v;
  });
  SetQueryMeta(res, view.index);
  ReplyJson(req, res, Sessions(view.sessions));
}

}  // namespace

void HandleSessionCreate(Api& api, const httplib::Request& req, httplib::Response& res,
                         const std::string&) {
  Result<SessionRequest> r = ParseSessionRequest(req.body);
  if (!r.ok()) return ReplyText(res, 400, "Request decode failed: " + r.status().message());
  if (!ServesDatacenter(api, req, res)) return;
  if (!Authorize(api, req, res, "session:write", r->node.empty() ? api.node_name : r->node)) return;
  Result<std::string> id = api.state.CreateSession(*r);
  if (!id.ok()) return ReplyStatus(res, id.status());
  ReplyJson(req, res, Json{{"ID", *id}});
}

void HandleSessionRenew(Api& api, const httplib::Request& req, httplib::Response& res,
                        const std::string& rest) {
  if (rest.empty()) return ReplyText(res, 400, "Missing session");
  if (!ServesDatacenter(api, req, res)) return;
  if (!Authorize(api, req, res, "session:write", rest)) return;
  Result<Session> s = api.state.RenewSession(rest);
  if (!s.ok()) return ReplyStatus(res, s.status());
  ReplyJson(req, res, Sessions({*s}));
}

void HandleSessionDestroy(Api& api, const httplib::Request& req, httplib::Response& res,
                          const std::string& rest) {
  if (rest.empty()) return ReplyText(res, 400, "Missing session");
  if (!ServesDatacenter(api, req, res)) return;
  if (!Authorize(api, req, res, "session:write", rest)) return;
  api.state.DestroySession(rest);
  ReplyJson(req, res, Json(true));
}

void HandleSessionInfo(Api& api, const httplib::Request& req, httplib::Response& res,
                       const std::string& rest) {
  if (rest.empty()) return ReplyText(res, 400, "Missing session");
  ListSessions(api, req, res, [&](const Session& s) { return s.id == rest; });
}

void HandleSessionList(Api& api, const httplib::Request& req, httplib::Response& res,
                       const std::string&) {
  ListSessions(api, req, res, [](const Session&) { return true; });
}

void HandleSessionNode(Api& api, const httplib::Request& req, httplib::Response& res,
                       const std::string& rest) {
  if (rest.empty()) return ReplyText(res, 400, "Missing node name");
  ListSessions(api, req, res, [&](const Session& s) { return s.node == rest; });
}

}  // namespace shardgate::consul::dev
