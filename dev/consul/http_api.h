// The HTTP layer's shared context and helpers: replies, query metadata, blocking parameters,
// flag parsing and ACL checks. Handlers stay thin: parse, call State, encode.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "dev/consul/state.h"

namespace shardgate::consul::dev {

using Json = nlohmann::ordered_json;

// Consul's error text (structs.ErrNoDCPath) for a datacenter it has no path to.
inline constexpr const char* kNoPathToDatacenter = "No path to datacenter";

struct Api {
  State& state;
  std::string acl_token;           // empty: ACLs disabled (default policy allow)
  std::string address;             // "127.0.0.1:<port>", reported by /v1/status/leader
  std::string node_name;           // the agent's node
  std::string datacenter = "dc1";  // the only one this server has a path to
};

// Plain-text reply (Consul's error bodies are never JSON).
void ReplyText(httplib::Response& res, int status, const std::string& body);
// Maps a non-ok Status to Consul's HTTP status: NotFound 404, InvalidArgument 400,
// PermissionDenied 403, anything else 500.
void ReplyStatus(httplib::Response& res, const Status& status);
// JSON reply: compact, or indented with a trailing newline under ?pretty.
void ReplyJson(const httplib::Request& req, httplib::Response& res, const Json& body);
// X-Consul-Index (never 0), X-Consul-KnownLeader and X-Consul-LastContact.
void SetQueryMeta(httplib::Response& res, uint64_t index);

// Presence-based boolean query flag (?recurse, ?keys, ?raw, ?pretty...).
bool HasFlag(const httplib::Request& req, const std::string& name);
// Go strconv.ParseUint with its error text: `strconv.ParseUint: parsing "x": invalid syntax`.
Result<uint64_t> ParseUint(const std::string& text);
// Go url.Values.Encode(): keys sorted, values in order, query-escaped.
std::string EncodeQuery(const httplib::Request& req);

struct Blocking {
  uint64_t index = 0;  // 0: answer at once
  std::chrono::steady_clock::time_point deadline;
};
// Parses ?index and ?wait and the consistency flags; on a bad value writes
// the 400 reply and returns nullopt.
std::optional<Blocking> ParseBlocking(const httplib::Request& req, httplib::Response& res);

// ?dc names the datacenter a request is for; absent or empty means the agent's own. A single
// node has no path to any other, so, as Consul answers then, this writes 500 `No path to
// datacenter` and returns false. Names are compared exactly: Consul lower-cases its own name at
// start-up but not the parameter, so `?dc=DC1` is another datacenter. Call it where Consul makes
// its RPC (which forwards first): after the request is parsed, before any ACL check. Agent
// endpoints are local and never call it (Consul ignores ?dc there).
bool ServesDatacenter(const Api& api, const httplib::Request& req, httplib::Response& res);

// ACLs. Returns false after writing 403 `ACL not found` for an unknown token.
// `*anonymous` tells whether the request carries no valid token (list reads are then filtered).
bool ResolveToken(const Api& api, const httplib::Request& req, httplib::Response& res,
                  bool* anonymous);
// Writes 403 and returns false unless the request may do `permission` ("key:write") on `resource`.
bool Authorize(const Api& api, const httplib::Request& req, httplib::Response& res,
               std::string_view permission, std::string_view resource);
// The 403 text Consul gives the anonymous token.
std::string AnonymousDenied(std::string_view permission, std::string_view resource);

}  // namespace shardgate::consul::dev
