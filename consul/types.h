// Value types of the Consul HTTP API subset shardgate uses (KV, txn, agent, health, sessions).
// Plain values: copyable, comparable, no behaviour. Thread-safety: none needed.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace shardgate::consul {

// ---- blocking queries ----

struct QueryOptions {
  // Last X-Consul-Index seen; 0 = non-blocking read that returns at once.
  uint64_t index = 0;
  // Longest time the server may hold the request (it adds up to wait/16 of jitter). Ignored when
  // index is 0. Consul clamps it to 10 min.
  std::chrono::milliseconds wait{std::chrono::minutes(5)};
  bool stale = false;  // ?stale: any server may answer
  // Aborts the request when stop is requested (used by Watcher::Stop). Default: never.
  std::stop_token cancel;
};

struct QueryMeta {
  uint64_t index = 0;  // X-Consul-Index, already raised to >= 1
  bool known_leader = false;
  std::chrono::milliseconds last_contact{0};
};

// A read's value together with the metadata needed for the next blocking query.
template <typename T>
struct Queried {
  T value;
  QueryMeta meta;
};

// ---- KV ----

struct KvEntry {
  std::string key;
  std::string value;  // decoded bytes ("" for a null Value)
  uint64_t flags = 0;
  uint64_t create_index = 0;
  uint64_t modify_index = 0;
  uint64_t lock_index = 0;
  std::string session;  // holder, "" when unlocked
  bool operator==(const KvEntry&) const = default;
};

// ---- transactions ----

// KV verbs, spelled as Consul spells them on the wire.
enum class TxnVerb {
  kSet,
  kCas,
  kLock,
  kUnlock,
  kGet,
  kGetOrEmpty,
  kGetTree,
  kCheckIndex,
  kCheckSession,
  kCheckNotExists,
  kDelete,
  kDeleteTree,
  kDeleteCas,
};

struct TxnOp {
  TxnVerb verb = TxnVerb::kSet;
  std::string key;
  std::string value;  // raw bytes; base64-encoded on the wire
  uint64_t flags = 0;
  uint64_t index = 0;  // for cas / check-index / delete-cas
  std::string session;
};

struct TxnError {
  int op_index = 0;
  std::string what;  // Consul's text, e.g. "failed to set key \"k\", index is stale"
  bool operator==(const TxnError&) const = default;
};

// Consul answers 200 (applied) or 409 (rolled back); both are results.
struct TxnResult {
  bool applied = false;
  std::vector<KvEntry> results;  // one per op that yields an entry (empty when rolled back)
  std::vector<TxnError> errors;  // every failing op (empty when applied)
};

inline constexpr size_t kMaxTxnOps = 128;  // Consul >= 1.14; more is refused client-side

// ---- agent services and checks ----

enum class CheckStatus { kPassing, kWarning, kCritical };

struct Weights {
  int passing = 1;  // Consul requires >= 1
  int warning = 1;
  bool operator==(const Weights&) const = default;
};

struct TtlCheck {
  std::chrono::milliseconds ttl{10'000};
  // Consul removes the service after the check has been critical this long (minimum 1 min).
  std::optional<std::chrono::milliseconds> deregister_critical_service_after;
  std::optional<CheckStatus> status;  // initial status; Consul's default is critical
  std::string notes;
  std::string check_id;  // "" = Consul's default "service:<ID>"
  std::string name;      // "" = Consul's default "Service '<Name>' check"
};

struct ServiceRegistration {
  std::string id;
  std::string name;
  std::vector<std::string> tags;
  std::string address;
  int port = 0;
  std::map<std::string, std::string> meta;
  Weights weights;
  std::optional<TtlCheck> check;
  bool replace_existing_checks = false;  // ?replace-existing-checks
};

// ---- health ----

struct HealthCheck {
  std::string check_id;
  std::string name;
  CheckStatus status = CheckStatus::kCritical;
  std::string output;
  std::string notes;
  std::string service_id;  // "" for node checks such as serfHealth
  bool operator==(const HealthCheck&) const = default;
};

struct ServiceInstance {
  std::string id;
  std::string name;
  std::vector<std::string> tags;
  std::string address;  // "" = use node_address
  int port = 0;
  std::map<std::string, std::string> meta;
  Weights weights;
  bool operator==(const ServiceInstance&) const = default;
};

// A service as the local agent reports it, with its maintenance state.
struct AgentServiceState {
  ServiceInstance service;
  bool in_maintenance = false;     // the "_service_maintenance:<ID>" check exists
  std::string maintenance_reason;  // that check's Notes
};

struct ServiceEntry {
  std::string node;
  std::string node_address;
  ServiceInstance service;
  std::vector<HealthCheck> checks;  // node checks and the service's checks
  bool operator==(const ServiceEntry&) const = default;
};

// ---- sessions ----

enum class SessionBehavior { kRelease, kDelete };

struct SessionRequest {
  std::string name;
  std::optional<std::chrono::seconds> ttl;  // 10 s .. 24 h; nullopt = no TTL
  SessionBehavior behavior = SessionBehavior::kRelease;
  std::optional<std::chrono::milliseconds> lock_delay;  // nullopt = Consul's 15 s
  // nullopt = Consul's default ["serfHealth"]; an empty vector removes it.
  std::optional<std::vector<std::string>> node_checks;
  std::vector<std::string> service_checks;
};

struct SessionInfo {
  std::string id;
  std::string name;
  std::string node;
  std::string ttl;  // as Consul returns it, e.g. "30s" (may exceed what was asked)
  SessionBehavior behavior = SessionBehavior::kRelease;
};

// Wire names: "passing" / "warning" / "critical"; "set", "cas", ...; "release" / "delete".
const char* CheckStatusName(CheckStatus status);
const char* TxnVerbName(TxnVerb verb);
const char* SessionBehaviorName(SessionBehavior behavior);

}  // namespace shardgate::consul
