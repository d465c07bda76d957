// HTTP helpers shared by every handler (see http_api.h).
#include "dev/consul/http_api.h"

#include <cctype>
#include <map>
#include <random>
#include <vector>

#include "common/duration.h"

namespace shardgate::consul::dev {
namespace {

constexpr auto kDefaultWait = std::chrono::minutes(5);
constexpr auto kMaxWait = std::chrono::minutes(10);

std::string QueryEscape(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string RequestToken(const httplib::Request& req) {
  if (req.has_param("token")) return req.get_param_value("token");
  if (req.has_header("X-Consul-Token")) return req.get_header_value("X-Consul-Token");
  std::string auth = req.get_header_value("Authorization");
  size_t space = auth.find_first_of(" \t");
  if (space == std::string::npos) return "";
  std::string scheme = auth.substr(0, space);
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer") return "";
  size_t start = auth.find_first_not_of(" \t", space);
  if (start == std::string::npos) return "";
  return auth.substr(start, auth.find_first_of(" \t", start) - start);
}

Nanos Jitter(Nanos wait) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  long long span = wait.count() / 16;
  if (span <= 0) return Nanos(0);
  return Nanos(static_cast<long long>(rng() % static_cast<uint64_t>(span)));
}

}  // namespace

void ReplyText(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "text/plain; charset=utf-8");
}

void ReplyStatus(httplib::Response& res, const Status& status) {
  int code = 500;
  switch (status.code()) {
    case Code::kNotFound: code = 404; break;
    case Code::kInvalidArgument: code = 400; break;
    case Code::kPermissionDenied: code = 403; break;
    default: break;
  }
  ReplyText(res, code, status.message());
}

void ReplyJson(const httplib::Request& req, httplib::Response& res, const Json& body) {
  res.status = 200;
  std::string text = HasFlag(req, "pretty") ? body.dump(4) + "\n" : body.dump();
  res.set_content(text, "application/json");
}

void SetQueryMeta(httplib::Response& res, uint64_t index) {
  res.set_header("X-Consul-Index", std::to_string(index < 1 ? 1 : index));
  res.set_header("X-Consul-KnownLeader", "true");
  res.set_header("X-Consul-LastContact", "0");
}

bool HasFlag(const httplib::Request& req, const std::string& name) { return req.has_param(name); }

Result<uint64_t> ParseUint(const std::string& text) {
  auto error = [&](const char* why) {
    return Internal("strconv.ParseUint: parsing \"" + text + "\": " + why);
  };
  if (text.empty()) return error("invalid syntax");
  uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return error("invalid syntax");
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return error("value out of range");
    v = v * 10 + d;
  }
  return v;
}

std::string EncodeQuery(const httplib::Request& req) {
  std::map<std::string, std::vector<std::string>> sorted;
  for (const auto& [k, v] : req.params) sorted[k].push_back(v);
  std::string out;
  for (const auto& [k, values] : sorted) {
    for (const std::string& v : values) {
      if (!out.empty()) out += '&';
      out += QueryEscape(k) + "=" + QueryEscape(v);
    }
  }
  return out;
}

std::optional<Blocking> ParseBlocking(const httplib::Request& req, httplib::Response& res) {
  if (HasFlag(req, "stale") && HasFlag(req, "consistent")) {
    ReplyText(res, 400, "Cannot specify ?stale with ?consistent, conflicting semantics.");
    return std::nullopt;
  }
  if (HasFlag(req, "cached") && HasFlag(req, "consistent")) {
    ReplyText(res, 400, "Cannot specify ?cached with ?consistent, conflicting semantics.");
    return std::nullopt;
  }
  Blocking b;
  if (req.has_param("index")) {
    Result<uint64_t> index = ParseUint(req.get_param_value("index"));
    if (!index.ok()) {
      ReplyText(res, 400, "Invalid index");
      return std::nullopt;
    }
    b.index = *index;
  }
  Nanos wait = kDefaultWait;
  if (req.has_param("wait")) {
    Result<Nanos> parsed = ParseGoDuration(req.get_param_value("wait"));
    if (!parsed.ok()) {
      ReplyText(res, 400, "Invalid wait time");
      return std::nullopt;
    }
    if (*parsed > Nanos(0)) wait = std::min<Nanos>(*parsed, kMaxWait);
  }
  b.deadline = std::chrono::steady_clock::now() + wait + Jitter(wait);
  return b;
}

bool ServesDatacenter(const Api& api, const httplib::Request& req, httplib::Response& res) {
  const std::string dc = req.get_param_value("dc");
  if (dc.empty() || dc == api.datacenter) return true;
  ReplyText(res, 500, kNoPathToDatacenter);
  return false;
}

bool ResolveToken(const Api& api, const httplib::Request& req, httplib::Response& res,
                  bool* anonymous) {
  *anonymous = false;
  if (api.acl_token.empty()) return true;
  std::string token = RequestToken(req);
  if (token.empty() || token == "anonymous") {
    *anonymous = true;
    return true;
  }
  if (token == api.acl_token) return true;
  ReplyText(res, 403, "ACL not found");
  return false;
}

std::string AnonymousDenied(std::string_view permission, std::string_view resource) {
  return "Permission denied: anonymous token lacks permission '" + std::string(permission) +
         "' on \"" + std::string(resource) +
         "\". The anonymous token is used implicitly when a request does not specify a token.";
}

bool Authorize(const Api& api, const httplib::Request& req, httplib::Response& res,
               std::string_view permission, std::string_view resource) {
  bool anonymous = false;
  if (!ResolveToken(api, req, res, &anonymous)) return false;
  if (!anonymous) return true;
  ReplyText(res, 403, AnonymousDenied(permission, resource));
  return false;
}

}  // namespace shardgate::consul::dev
