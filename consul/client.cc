// Client core (sending, errors, blocking-query plumbing) and the KV and txn calls.
#include "consul/client.h"

#include <algorithm>
#include <utility>

#include "consul/client_call.h"
#include "consul/codec.h"
#include "consul/http_errors.h"
#include "consul/url.h"

namespace shardgate::consul {
namespace {

// Consul clamps wait to 10 min; the timeout must cover what the server holds.
constexpr std::chrono::milliseconds kMaxWait = std::chrono::minutes(10);

std::string AppendParam(std::string path, std::string_view name, std::string_view value) {
  path += path.find('?') == std::string::npos ? '?' : '&';
  path += name;
  if (!value.empty()) {
    path += '=';
    path += EscapeComponent(value);
  }
  return path;
}

// Keys must be non-empty and must not start with '/' (the Go client refuses those too).
Status CheckKey(std::string_view key) {
  if (key.empty()) return InvalidArgument("consul KV key is empty");
  if (key.front() == '/')
    return InvalidArgument("consul KV key starts with '/': " + std::string(key));
  return Status::Ok();
}

std::string KvPath(std::string_view key) { return "/v1/kv/" + EscapePath(key); }

// Turns a KV read's answer into a value: 404 (Consul's "nothing there") -> T{}, 200 ->
// decode(body). Decoding errors name the endpoint.
template <typename T, typename Decoder>
Result<Queried<T>> DecodeKvQuery(Result<Queried<HttpResponse>> answer, std::string_view path,
                                 Decoder decode) {
  RETURN_IF_ERROR(answer);
  Queried<T> out{T{}, answer->meta};
  if (answer->value.status == 404) return out;
  Result<T> value = decode(answer->value.body);
  if (!value.ok()) return DecodeError("GET", path, value.status());
  out.value = std::move(value).value();
  return out;
}

}  // namespace

Client::Client(HttpTransport& transport, ClientConfig config)
    : transport_(transport), config_(std::move(config)) {}

std::string Client::WithDatacenter(std::string path) const {
  if (!config_.datacenter) return path;
  return AppendParam(std::move(path), "dc", *config_.datacenter);
}

Result<HttpResponse> Client::Send(const Call& call) {
  HttpRequest request;
  request.method = call.method;
  request.path = call.path;
  request.body = call.body;
  request.timeout = call.timeout.count() > 0 ? call.timeout : config_.request_timeout;
  request.cancel = call.cancel;
  if (!config_.token.empty()) request.headers["X-Consul-Token"] = config_.token;
  return Annotate(transport_.Do(request),
                  "consul " + call.method + " " + std::string(PathWithoutQuery(call.path)));
}

Result<HttpResponse> Client::SendExpecting(const Call& call,
                                           std::initializer_list<int> ok_statuses) {
  ASSIGN_OR_RETURN(HttpResponse response, Send(call));
  if (std::find(ok_statuses.begin(), ok_statuses.end(), response.status) == ok_statuses.end()) {
    if (config_.datacenter) {
      std::optional<Status> dc = DatacenterError(call.method, call.path, *config_.datacenter,
                                                 response);
      if (dc) return *dc;
    }
    return HttpError(call.method, call.path, response);
  }
  return response;
}

Result<bool> Client::SendBool(const Call& call) {
  ASSIGN_OR_RETURN(HttpResponse response, SendExpecting(call, {200}));
  Result<bool> value = DecodeBool(response.body);
  if (!value.ok()) return DecodeError(call.method, call.path, value.status());
  return value;
}

Status Client::SendEmpty(const Call& call) {
  Result<HttpResponse> response = SendExpecting(call, {200});
  return response.ok() ? Status::Ok() : response.status();
}

Result<Queried<HttpResponse>> Client::SendQuery(std::string path, const QueryOptions& q) {
  Call call{"GET", WithDatacenter(std::move(path)), "", config_.request_timeout, q.cancel};
  if (q.index > 0) {
    std::chrono::milliseconds wait = std::min(q.wait, kMaxWait);
    call.path = AppendParam(std::move(call.path), "index", std::to_string(q.index));
    call.path = AppendParam(std::move(call.path), "wait", GoDuration(wait));
    call.timeout += wait + wait / 16;  // the server's jitter is up to wait/16
  }
  if (q.stale) call.path = AppendParam(std::move(call.path), "stale", "");
  ASSIGN_OR_RETURN(HttpResponse response, SendExpecting(call, {200, 404}));
  Result<QueryMeta> meta = ParseQueryMeta(response.headers);
  if (!meta.ok()) {
    // A 404 without Consul's headers is not Consul's "missing key" (e.g. a proxy's page).
    if (response.status == 404) return HttpError(call.method, call.path, response);
    return DecodeError(call.method, call.path, meta.status());
  }
  return Queried<HttpResponse>{std::move(response), *meta};
}

Result<std::optional<KvEntry>> Client::Get(std::string_view key) {
  ASSIGN_OR_RETURN(Queried<std::optional<KvEntry>> got, BlockingGet(key, QueryOptions{}));
  return std::move(got.value);
}

Result<Queried<std::optional<KvEntry>>> Client::BlockingGet(std::string_view key,
                                                            const QueryOptions& q) {
  RETURN_IF_ERROR(CheckKey(key));
  auto decode = [key](std::string_view body) -> Result<std::optional<KvEntry>> {
    ASSIGN_OR_RETURN(std::vector<KvEntry> entries, DecodeKvEntries(body));
    for (KvEntry& entry : entries) {
      if (entry.key == key) return std::optional<KvEntry>(std::move(entry));
    }
    return std::optional<KvEntry>();
  };
  return DecodeKvQuery<std::optional<KvEntry>>(SendQuery(KvPath(key), q), KvPath(key), decode);
}

Result<std::vector<KvEntry>> Client::List(std::string_view prefix) {
  ASSIGN_OR_RETURN(Queried<std::vector<KvEntry>> got, BlockingList(prefix, QueryOptions{}));
  return std::move(got.value);
}

Result<Queried<std::vector<KvEntry>>> Client::BlockingList(std::string_view prefix,
                                                           const QueryOptions& q) {
  return DecodeKvQuery<std::vector<KvEntry>>(SendQuery(KvPath(prefix) + "?recurse", q),
                                             KvPath(prefix), DecodeKvEntries);
}

Result<std::vector<std::string>> Client::Keys(std::string_view prefix, std::string_view separator) {
  ASSIGN_OR_RETURN(Queried<std::vector<std::string>> got,
                   BlockingKeys(prefix, separator, QueryOptions{}));
  return std::move(got.value);
}

Result<Queried<std::vector<std::string>>> Client::BlockingKeys(std::string_view prefix,
                                                               std::string_view separator,
                                                               const QueryOptions& q) {
  std::string path = KvPath(prefix) + "?keys";
  if (!separator.empty()) path = AppendParam(std::move(path), "separator", separator);
  return DecodeKvQuery<std::vector<std::string>>(SendQuery(std::move(path), q), KvPath(prefix),
                                                 DecodeKeys);
}

Status Client::Put(std::string_view key, std::string_view value, uint64_t flags) {
  RETURN_IF_ERROR(CheckKey(key));
  std::string path = KvPath(key);
  if (flags != 0) path = AppendParam(std::move(path), "flags", std::to_string(flags));
  Call call{"PUT", WithDatacenter(std::move(path)), std::string(value)};
  ASSIGN_OR_RETURN(bool written, SendBool(call));
  if (!written) return Conflict("consul PUT " + KvPath(key) + ": Consul answered false");
  return Status::Ok();
}

Result<bool> Client::Cas(std::string_view key, std::string_view value, uint64_t index,
                         uint64_t flags) {
  RETURN_IF_ERROR(CheckKey(key));
  std::string path = AppendParam(KvPath(key), "cas", std::to_string(index));
  if (flags != 0) path = AppendParam(std::move(path), "flags", std::to_string(flags));
  return SendBool(Call{"PUT", WithDatacenter(std::move(path)), std::string(value)});
}

Status Client::Delete(std::string_view key) {
  RETURN_IF_ERROR(CheckKey(key));
  Result<bool> deleted = SendBool(Call{"DELETE", WithDatacenter(KvPath(key))});
  return deleted.ok() ? Status::Ok() : deleted.status();
}

Result<bool> Client::DeleteCas(std::string_view key, uint64_t index) {
  RETURN_IF_ERROR(CheckKey(key));
  return SendBool(
      Call{"DELETE", WithDatacenter(AppendParam(KvPath(key), "cas", std::to_string(index)))});
}

Status Client::DeleteTree(std::string_view prefix) {
  // An empty prefix would wipe the whole KV store: refuse it rather than trust every caller.
  RETURN_IF_ERROR(CheckKey(prefix));
  Result<bool> deleted = SendBool(Call{"DELETE", WithDatacenter(KvPath(prefix) + "?recurse")});
  return deleted.ok() ? Status::Ok() : deleted.status();
}

Result<TxnResult> Client::Txn(const std::vector<TxnOp>& ops) {
  if (ops.empty()) return InvalidArgument("consul txn: no operations");
  if (ops.size() > kMaxTxnOps) {
    return InvalidArgument("consul txn: " + std::to_string(ops.size()) + " operations > " +
                           std::to_string(kMaxTxnOps) + " (Consul's limit)");
  }
  Call call{"PUT", WithDatacenter("/v1/txn"), EncodeTxnOps(ops)};
  ASSIGN_OR_RETURN(HttpResponse response, SendExpecting(call, {200, 409}));
  Result<TxnResult> result = DecodeTxnResult(response.body, response.status == 200);
  if (!result.ok()) return DecodeError(call.method, call.path, result.status());
  return result;
}

}  // namespace shardgate::consul
