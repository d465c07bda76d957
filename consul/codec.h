// Consul JSON bodies <-> consul/types.h values: pure functions, no I/O. Decoders never throw;
// a body that is not what Consul sends (truncated, wrong types, HTML) is a kProtocol Status
// whose message says what was wrong (callers add the endpoint).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "consul/types.h"

namespace shardgate::consul {

// ---- KV and txn (codec.cc) ----
Result<std::vector<KvEntry>> DecodeKvEntries(std::string_view body);
Result<std::vector<std::string>> DecodeKeys(std::string_view body);
// The literal `true` / `false` body of KV PUT/DELETE and session destroy.
Result<bool> DecodeBool(std::string_view body);
std::string EncodeTxnOps(const std::vector<TxnOp>& ops);
// Decodes a 200 (applied = true) or 409 (applied = false) txn body.
Result<TxnResult> DecodeTxnResult(std::string_view body, bool applied);

// ---- agent, health, sessions (codec_agent.cc) ----
std::string EncodeServiceRegistration(const ServiceRegistration& registration);
std::string EncodeCheckUpdate(CheckStatus status, std::string_view output);
// The /v1/agent/services map, keyed by service ID (maintenance fields left false).
Result<std::map<std::string, AgentServiceState>> DecodeAgentServices(std::string_view body);
// The /v1/agent/checks map, keyed by check ID.
Result<std::map<std::string, HealthCheck>> DecodeAgentChecks(std::string_view body);
Result<std::vector<ServiceEntry>> DecodeHealthEntries(std::string_view body);
std::string EncodeSessionRequest(const SessionRequest& request);
Result<std::string> DecodeSessionId(std::string_view body);
Result<std::vector<SessionInfo>> DecodeSessions(std::string_view body);
Result<CheckStatus> ParseCheckStatus(std::string_view text);

}  // namespace shardgate::consul
