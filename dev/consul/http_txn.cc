// PUT /v1/txn: KV operations only; Node/Service/Check ops are refused per op.
#include "common/base64.h"
#include "dev/consul/http_decode.h"
#include "dev/consul/http_encode.h"
#include "dev/consul/http_handlers.h"

namespace shardgate::consul::dev {
namespace {

struct ParsedOp {
  TxnOp op;
  std::string refused;  // non-empty: the op cannot run here (reported in the 409)
};

bool IsReadVerb(const std::string& verb) {
  return verb == "get" || verb == "get-tree" || verb == "get-or-empty" ||
         verb.starts_with("check-");
}

// 400 `Failed to parse body: ...` for bad JSON/base64, 413 for an oversized value.
Result<ParsedOp> ParseKvOp(const nlohmann::json& kv) {
  ASSIGN_OR_RETURN(Fields f, Fields::Match(kv,
                                           {"Verb", "Key", "Value", "Flags", "Index", "Session",
                                            "Namespace", "Partition"},
                                           false, "api.KVTxnOp"));
  ParsedOp p;
  Result<std::string> verb = f.String("Verb");
  Result<std::string> key = f.String("Key");
  Result<std::string> value64 = f.String("Value");
  Result<int64_t> flags = f.Int("Flags");
  Result<int64_t> index = f.Int("Index");
  Result<std::string> session = f.String("Session");
  for (const Status* st : {&verb.status(), &key.status(), &value64.status(), &flags.status(),
                           &index.status(), &session.status()}) {
    RETURN_IF_ERROR(*st);
  }
  ASSIGN_OR_RETURN(std::string value, Base64Decode(*value64));
  if (value.size() > kMaxValueSize) {
    return Status(Code::kUnavailable, "Value for key \"" + *key + "\" is too large (" +
                                          std::to_string(value.size()) + " > 524288 bytes)");
  }
  p.op = TxnOp{*verb,   *key, value, static_cast<uint64_t>(*flags), static_cast<uint64_t>(*index),
               *session};
  return p;
}

Result<std::vector<ParsedOp>> ParseOps(const nlohmann::json& body) {
  if (!body.is_array()) {
    return InvalidArgument("json: cannot unmarshal " + std::string(body.type_name()) +
                           " into Go value of type api.TxnOps");
  }
  std::vector<ParsedOp> ops;
  for (const auto& item : body) {
    ASSIGN_OR_RETURN(Fields f,
                     Fields::Match(item, {"KV", "Node", "Service", "Check"}, false, "api.TxnOp"));
    if (!f.Has("KV")) {
      ParsedOp p;
      p.refused = "shardgate-consul-dev supports only KV operations in /v1/txn";
      ops.push_back(p);
      continue;
    }
    ASSIGN_OR_RETURN(ParsedOp p, ParseKvOp(f.Raw("KV")));
    ops.push_back(p);
  }
  return ops;
}

// Ops the request may not run (anonymous token) or that are refused, as 409 errors.
std::vector<TxnError> Refusals(const std::vector<ParsedOp>& ops, bool anonymous) {
  std::vector<TxnError> errors;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (!ops[i].refused.empty()) {
      errors.push_back({i, ops[i].refused});
    } else if (anonymous) {
      const char* perm = IsReadVerb(ops[i].op.verb) ? "key:read" : "key:write";
      errors.push_back({i, AnonymousDenied(perm, ops[i].op.key)});
    }
  }
  return errors;
}

}  // namespace

// As Consul's: the body is parsed before the RPC, which forwards to ?dc before it checks the token.
void HandleTxn(Api& api, const httplib::Request& req, httplib::Response& res, const std::string&) {
  if (req.body.size() > kMaxValueSize) {
    return ReplyText(res, 413,
                     "Request body(" + std::to_string(req.body.size()) +
                         " bytes) too large, max size: 524288 bytes. See "
                         "https://developer.hashicorp.com/docs/agent/config/"
                         "config-files#txn_max_req_len.");
  }
  Result<nlohmann::json> body = ParseJsonBody(req.body);
  if (!body.ok()) return ReplyText(res, 400, "Failed to parse body: " + body.status().message());
  if (body->is_array() && body->size() > kMaxTxnOps) {
    return ReplyText(res, 413,
                     "Transaction contains too many operations (" + std::to_string(body->size()) +
                         " > 128)");
  }
  Result<std::vector<ParsedOp>> parsed = ParseOps(*body);
  if (!parsed.ok()) {
    int code = parsed.status().code() == Code::kUnavailable ? 413 : 400;
    return ReplyText(res, code,
                     code == 413 ? parsed.status().message()
                                 : "Failed to parse body: " + parsed.status().message());
  }
  if (!ServesDatacenter(api, req, res)) return;
  bool anonymous = false;
  if (!ResolveToken(api, req, res, &anonymous)) return;
  TxnOutcome outcome;
  outcome.errors = Refusals(*parsed, anonymous);
  std::vector<TxnOp> ops;
  for (const ParsedOp& p : *parsed) ops.push_back(p.op);
  if (outcome.errors.empty()) outcome = api.state.Txn(ops);
  if (IsReadOnlyTxn(ops)) {
    res.set_header("X-Consul-KnownLeader", "true");
    res.set_header("X-Consul-LastContact", "0");
  }
  ReplyJson(req, res, EncodeTxnOutcome(outcome));
  res.status = outcome.errors.empty() ? 200 : 409;
}

}  // namespace shardgate::consul::dev
