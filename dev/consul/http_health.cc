// Read endpoints over the catalog: agent listings, health, catalog and status.
#include <set>

#include "dev/consul/http_encode.h"
#include "dev/consul/http_handlers.h"

namespace shardgate::consul::dev {
namespace {

struct JsonView {
  uint64_t index = 0;
  Json body;
};

// Go strconv.ParseBool, with "" meaning true (Consul's ?passing rule).
bool ParsePassing(const httplib::Request& req, bool* out) {
  *out = false;
  if (!req.has_param("passing")) return true;
  const std::string v = req.get_param_value("passing");
  if (v.empty() || v == "1" || v == "t" || v == "T" || v == "true" || v == "TRUE" || v == "True") {
    *out = true;
    return true;
  }
  return v == "0" || v == "f" || v == "F" || v == "false" || v == "FALSE" || v == "False";
}

bool HasAllTags(const httplib::Request& req, const Service& s) {
  for (size_t i = 0; i < req.get_param_value_count("tag"); ++i) {
    const std::string tag = req.get_param_value("tag", i);
    if (std::find(s.tags.begin(), s.tags.end(), tag) == s.tags.end()) return false;
  }
  return true;
}

bool AllPassing(const Catalog& catalog, const Service& s) {
  for (const Check* c : catalog.ChecksOf(s.id)) {
    if (c->status != kPassing) return false;
  }
  return true;
}

// Shared shape of the blocking per-service reads: parse, authorise, block, reply.
template <typename Build>
void ServiceRead(Api& api, const httplib::Request& req, httplib::Response& res,
                 const std::string& name, Build build) {
  if (name.empty()) return ReplyText(res, 400, "Missing service name");
  std::optional<Blocking> blocking = ParseBlocking(req, res);
  if (!blocking) return;
  if (!ServesDatacenter(api, req, res)) return;
  if (req.has_param("filter")) {
    return ReplyText(res, 500,
                     "Failed to create boolean expression evaluator: "
                     "shardgate-consul-dev does not implement ?filter");
  }
  bool anonymous = false;
  if (!ResolveToken(api, req, res, &anonymous)) return;
  JsonView view = api.state.Block(blocking->index, blocking->deadline, [&](const State& s) {
    JsonView v{s.catalog().ServiceIndex(name), Json::array()};
    if (anonymous) return v;
    for (const Service* svc : s.catalog().InstancesOf(name)) {
      if (HasAllTags(req, *svc)) build(s.catalog(), *svc, &v.body);
    }
    return v;
  });
  SetQueryMeta(res, view.index);
  ReplyJson(req, res, view.body);
}

}  // namespace

namespace {

// The agent's local listings (/v1/agent/services, /v1/agent/checks): a JSON object keyed by ID,
// empty for the anonymous token (real Consul filters what the token may not read).
template <typename Fill>
void ReplyAgentListing(Api& api, const httplib::Request& req, httplib::Response& res, Fill fill) {
  bool anonymous = false;
  if (!ResolveToken(api, req, res, &anonymous)) return;
  Json out = api.state
                 .Block(0, {},
                        [&](const State& s) {
                          JsonView v{s.catalog().ServicesIndex(), Json::object()};
                          if (!anonymous) fill(s, v.body);
                          return v;
                        })
                 .body;
  ReplyJson(req, res, out);
}

}  // namespace

void HandleAgentServices(Api& api, const httplib::Request& req, httplib::Response& res,
                         const std::string&) {
  ReplyAgentListing(api, req, res, [](const State& s, Json& body) {
    for (const auto& [id, svc] : s.catalog().services())
      body[id] = EncodeAgentService(s.catalog(), svc);
  });
}

void HandleAgentChecks(Api& api, const httplib::Request& req, httplib::Response& res,
                       const std::string&) {
  ReplyAgentListing(api, req, res, [](const State& s, Json& body) {
    for (const auto& [id, c] : s.catalog().checks()) {
      if (id != kSerfHealth) body[id] = EncodeCheck(s.catalog(), c);
    }
  });
}

void HandleHealthService(Api& api, const httplib::Request& req, httplib::Response& res,
                         const std::string& rest) {
  bool passing = false;
  if (!ParsePassing(req, &passing)) return ReplyText(res, 400, "Invalid value for ?passing");
  ServiceRead(api, req, res, rest, [&](const Catalog& c, const Service& s, Json* out) {
    if (!passing || AllPassing(c, s)) out->push_back(EncodeHealthEntry(c, s));
  });
}

void HandleHealthChecks(Api& api, const httplib::Request& req, httplib::Response& res,
                        const std::string& rest) {
  ServiceRead(api, req, res, rest, [&](const Catalog& c, const Service& s, Json* out) {
    for (const Check* check : c.ChecksOf(s.id)) {
      if (!check->service_id.empty()) out->push_back(EncodeCheck(c, *check));
    }
  });
}

void HandleCatalogService(Api& api, const httplib::Request& req, httplib::Response& res,
                          const std::string& rest) {
  ServiceRead(api, req, res, rest, [&](const Catalog& c, const Service& s, Json* out) {
    out->push_back(EncodeCatalogEntry(c, s));
  });
}

void HandleCatalogServices(Api& api, const httplib::Request& req, httplib::Response& res,
                           const std::string&) {
  std::optional<Blocking> blocking = ParseBlocking(req, res);
  if (!blocking) return;
  if (!ServesDatacenter(api, req, res)) return;
  bool anonymous = false;
  if (!ResolveToken(api, req, res, &anonymous)) return;
  JsonView view = api.state.Block(blocking->index, blocking->deadline, [&](const State& s) {
    JsonView v{s.catalog().ServicesIndex(), Json::object()};
    if (anonymous) return v;
    std::map<std::string, std::set<std::string>> tags{{kServerService, {}}};
    for (const auto& [id, svc] : s.catalog().services())
      tags[svc.name].insert(svc.tags.begin(), svc.tags.end());
    for (const auto& [name, t] : tags)
      v.body[name] = Json(std::vector<std::string>(t.begin(), t.end()));
    return v;
  });
  SetQueryMeta(res, view.index);
  ReplyJson(req, res, view.body);
}

void HandleStatusLeader(Api& api, const httplib::Request& req, httplib::Response& res,
                        const std::string&) {
  if (!ServesDatacenter(api, req, res)) return;
  ReplyJson(req, res, Json(api.address));
}

void HandleStatusPeers(Api& api, const httplib::Request& req, httplib::Response& res,
                       const std::string&) {
  if (!ServesDatacenter(api, req, res)) return;
  ReplyJson(req, res, Json::array({api.address}));
}

}  // namespace shardgate::consul::dev
