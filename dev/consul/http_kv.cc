// /v1/kv/ handlers: GET (recurse, keys, separator, raw), PUT (flags, cas, acquire, release),
// DELETE (recurse, cas). Reference §2.
#include <set>

#include "dev/consul/http_encode.h"
#include "dev/consul/http_handlers.h"

namespace shardgate::consul::dev {
namespace {

struct KvView {
  uint64_t index = 0;
  std::vector<KvEntry> entries;
  std::vector<std::string> keys;
};

bool ConflictingFlags(const httplib::Request& req, httplib::Response& res,
                      std::initializer_list<const char*> flags) {
  int present = 0;
  for (const char* f : flags) present += req.has_param(f) ? 1 : 0;
  if (present < 2) return false;
  ReplyText(res, 400, "Conflicting flags: " + EncodeQuery(req) + "\n");
  return true;
}

// Optional uint query parameter; 500 with Go's parse error, as Consul answers.
bool UintParam(const httplib::Request& req, httplib::Response& res, const char* name,
               uint64_t* out) {
  if (!req.has_param(name)) return true;
  Result<uint64_t> v = ParseUint(req.get_param_value(name));
  if (!v.ok()) {
    ReplyStatus(res, v.status());
    return false;
  }
  *out = *v;
  return true;
}

std::vector<std::string> CutKeys(const std::vector<const KvEntry*>& entries,
                                 const std::string& prefix, const std::string& sep) {
  std::set<std::string> out;
  for (const KvEntry* e : entries) {
    size_t at = sep.empty() ? std::string::npos : e->key.find(sep, prefix.size());
    out.insert(at == std::string::npos ? e->key : e->key.substr(0, at + sep.size()));
  }
  return {out.begin(), out.end()};
}

void KvGet(Api& api, const httplib::Request& req, httplib::Response& res, const std::string& key) {
  std::optional<Blocking> blocking = ParseBlocking(req, res);
  if (!blocking) return;
  const bool keys = HasFlag(req, "keys");
  const bool recurse = keys || HasFlag(req, "recurse");
  if (key.empty() && !recurse) return ReplyText(res, 400, "Missing key name");
  if (!ServesDatacenter(api, req, res)) return;
  bool anonymous = false;
  if (!ResolveToken(api, req, res, &anonymous)) return;
  if (anonymous && !recurse) return ReplyText(res, 403, AnonymousDenied("key:read", key));
  std::string sep = req.has_param("separator") ? req.get_param_value("separator")
                                               : req.get_param_value("seperator");
  KvView view = api.state.Block(blocking->index, blocking->deadline, [&](const State& s) {
    KvView v;
    if (!recurse) {
      v.index = s.kv().KeyIndex(key);
      if (const KvEntry* e = s.kv().Get(key)) v.entries.push_back(*e);
      return v;
    }
    v.index = s.kv().PrefixIndex(key);
    if (anonymous) return v;  // ACL filtering removes every entry
    std::vector<const KvEntry*> list = s.kv().List(key);
    if (keys) {
      v.keys = CutKeys(list, key, sep);
    } else {
      for (const KvEntry* e : list) v.entries.push_back(*e);
    }
    return v;
  });
  SetQueryMeta(res, view.index);
  if (keys) {
    if (view.keys.empty() && !key.empty()) return ReplyText(res, 404, "");
    return ReplyJson(req, res, Json(view.keys));
  }
  if (view.entries.empty()) return ReplyText(res, 404, "");
  if (HasFlag(req, "raw") && !recurse) {
    res.status = 200;
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Content-Security-Policy", "sandbox");
    return res.set_content(view.entries[0].value, "text/plain");
  }
  Json out = Json::array();
  for (const KvEntry& e : view.entries) out.push_back(EncodeKvEntry(e, true));
  ReplyJson(req, res, out);
}

void KvPut(Api& api, const httplib::Request& req, httplib::Response& res, const std::string& key) {
  if (key.empty()) return ReplyText(res, 400, "Missing key name");
  if (ConflictingFlags(req, res, {"cas", "acquire", "release"})) return;
  uint64_t flags = 0;
  uint64_t cas = 0;
  if (!UintParam(req, res, "flags", &flags) || !UintParam(req, res, "cas", &cas)) return;
  if (req.body.size() > kMaxValueSize) {
    return ReplyText(res, 413,
                     "Request body(" + std::to_string(req.body.size()) +
                         " bytes) too large, max size: 524288 bytes. See "
                         "https://developer.hashicorp.com/docs/agent/config/"
                         "config-files#kv_max_value_size.");
  }
  if (!ServesDatacenter(api, req, res)) return;
  if (!Authorize(api, req, res, "key:write", key)) return;
  KvWrite w;
  if (req.has_param("acquire")) {
    Result<KvWrite> r = api.state.KvAcquire(key, req.body, flags, req.get_param_value("acquire"));
    if (!r.ok()) return ReplyStatus(res, r.status());
    w = *r;
  } else if (req.has_param("release")) {
    w = api.state.KvRelease(key, req.body, flags, req.get_param_value("release"));
  } else if (req.has_param("cas")) {
    w = api.state.KvCas(key, req.body, flags, cas);
  } else {
    w = api.state.KvSet(key, req.body, flags);
  }
  ReplyJson(req, res, Json(w.ok));
}

void KvDelete(Api& api, const httplib::Request& req, httplib::Response& res,
              const std::string& key) {
  const bool recurse = HasFlag(req, "recurse");
  if (key.empty() && !recurse) return ReplyText(res, 400, "Missing key name");
  if (ConflictingFlags(req, res, {"recurse", "cas"})) return;
  uint64_t cas = 0;
  if (!UintParam(req, res, "cas", &cas)) return;
  if (!ServesDatacenter(api, req, res)) return;
  if (!Authorize(api, req, res, "key:write", key)) return;
  KvWrite w;
  if (recurse) {
    w = api.state.KvDeleteTree(key);
  } else if (req.has_param("cas")) {
    w = api.state.KvDeleteCas(key, cas);
  } else {
    w = api.state.KvDelete(key);
  }
  ReplyJson(req, res, Json(w.ok));
}

}  // namespace

void HandleKv(Api& api, const httplib::Request& req, httplib::Response& res,
              const std::string& rest) {
  if (req.method == "PUT") return KvPut(api, req, res, rest);
  if (req.method == "DELETE") return KvDelete(api, req, res, rest);
  KvGet(api, req, res, rest);
}

}  // namespace shardgate::consul::dev
