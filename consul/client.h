// Client: typed calls to the Consul HTTP API (KV, txn, agent services/checks, health, sessions)
// over an HttpTransport. Speaks the real Consul API (docs/consul-client.md).
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "consul/config.h"
#include "consul/http_transport.h"
#include "consul/types.h"

namespace shardgate::consul {

// Errors (every method): a non-2xx answer that is not a normal result of the call becomes a
// Status whose message is "consul <METHOD> <path>: <http status> <Consul's body>", with code
//   403 -> kPermissionDenied, 404 -> kNotFound, 400/405/413/other 4xx -> kInvalidArgument,
//   409 -> kConflict, 429/5xx -> kUnavailable;
// transport failures keep the transport's kUnavailable/kTimeout; a body that does not decode
// (truncated JSON, wrong types, an HTML page) -> kProtocol naming the endpoint.
// The query string (and so the token, which only travels in a header) never appears in messages.
//
// Thread-safety: all methods are safe to call concurrently (the client holds only immutable
// configuration; the transport must allow concurrent Do()). The transport must outlive the client.
class Client {
 public:
  Client(HttpTransport& transport, ClientConfig config);

  const ClientConfig& config() const { return config_; }

  // ---- KV ----
  // A missing key is nullopt, not an error (Consul answers 404 with metadata).
  Result<std::optional<KvEntry>> Get(std::string_view key);
  Result<Queried<std::optional<KvEntry>>> BlockingGet(std::string_view key, const QueryOptions& q);
  // Every entry under `prefix` (?recurse), sorted by key; no match = empty vector.
  Result<std::vector<KvEntry>> List(std::string_view prefix);
  Result<Queried<std::vector<KvEntry>>> BlockingList(std::string_view prefix,
                                                     const QueryOptions& q);
  // Key names under `prefix` (?keys), cut after `separator` when it is not empty.
  Result<std::vector<std::string>> Keys(std::string_view prefix, std::string_view separator);
  Result<Queried<std::vector<std::string>>> BlockingKeys(std::string_view prefix,
                                                         std::string_view separator,
                                                         const QueryOptions& q);
  Status Put(std::string_view key, std::string_view value, uint64_t flags = 0);
  // Writes only if the key's ModifyIndex == index (index 0 = only if the key does not exist).
  // Returns false when the check failed (someone else wrote first).
  Result<bool> Cas(std::string_view key, std::string_view value, uint64_t index,
                   uint64_t flags = 0);
  Status Delete(std::string_view key);
  // Deletes only if ModifyIndex == index; false when the check failed. A missing key is true.
  Result<bool> DeleteCas(std::string_view key, uint64_t index);
  Status DeleteTree(std::string_view prefix);
  // Both 200 (applied) and 409 (rolled back) are results. More than kMaxTxnOps ops, or none,
  // -> kInvalidArgument without sending anything.
  Result<TxnResult> Txn(const std::vector<TxnOp>& ops);

  // ---- agent (the local Consul agent) ----
  Status RegisterService(const ServiceRegistration& registration);
  Status DeregisterService(std::string_view service_id);  // unknown ID -> kNotFound
  // PUT /v1/agent/check/update/:id. Unknown check -> kNotFound (re-register then).
  Status UpdateTtlCheck(std::string_view check_id, CheckStatus status, std::string_view output);
  Status PassCheck(std::string_view check_id, std::string_view note);
  Status WarnCheck(std::string_view check_id, std::string_view note);
  Status FailCheck(std::string_view check_id, std::string_view note);
  Status EnableServiceMaintenance(std::string_view service_id, std::string_view reason);
  Status DisableServiceMaintenance(std::string_view service_id);
  // The service as registered on the local agent, with its maintenance state; nullopt when the
  // agent does not know it (uses /v1/agent/services and /v1/agent/checks).
  Result<std::optional<AgentServiceState>> AgentService(std::string_view service_id);

  // ---- health ----
  // GET /v1/health/service/:name (blocking when q.index > 0). Unknown service = empty vector.
  Result<Queried<std::vector<ServiceEntry>>> HealthService(std::string_view name, bool passing_only,
                                                           const QueryOptions& q = {});

  // ---- sessions ----
  Result<std::string> CreateSession(const SessionRequest& request);  // the session ID
  // nullopt when Consul no longer knows the session (404: expired or destroyed).
  Result<std::optional<SessionInfo>> RenewSession(std::string_view session_id);
  Status DestroySession(std::string_view session_id);  // idempotent

 private:
  struct Call;  // consul/client_call.h
  // Adds the token header, sends, and prefixes transport errors with the endpoint.
  Result<HttpResponse> Send(const Call& call);
  // Sends; any status outside `ok_statuses` becomes HttpError.
  Result<HttpResponse> SendExpecting(const Call& call, std::initializer_list<int> ok_statuses);
  Result<bool> SendBool(const Call& call);  // 200 with a `true`/`false` body
  Status SendEmpty(const Call& call);       // 200, body ignored
  // A read that may block: adds index/wait/stale/dc, sizes the timeout, parses QueryMeta;
  // 404 is returned as a response (each caller decides what it means).
  Result<Queried<HttpResponse>> SendQuery(std::string path, const QueryOptions& q);
  Status CheckCall(std::string_view verb, std::string_view check_id, std::string_view note);
  std::string WithDatacenter(std::string path) const;

  HttpTransport& transport_;
  const ClientConfig config_;
};

}  // namespace shardgate::consul
