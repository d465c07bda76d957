// KV transactions (/v1/txn): the verbs of Consul's /v1/txn, all-or-nothing, every failure reported.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "dev/consul/kv_store.h"

namespace shardgate::consul::dev {

inline constexpr size_t kMaxTxnOps = 128;

struct TxnOp {
  std::string verb;
  std::string key;
  std::string value;  // decoded bytes
  uint64_t flags = 0;
  uint64_t index = 0;
  std::string session;
};

struct TxnError {
  size_t op_index = 0;
  std::string what;
};

struct TxnResultEntry {
  KvEntry entry;
  bool with_value = false;  // only get, get-or-empty and get-tree return values
};

struct TxnOutcome {
  bool ok = false;
  bool changed = false;
  std::vector<TxnResultEntry> results;  // only when ok
  std::vector<TxnError> errors;         // only when !ok
};

// True when every op only reads (get, get-tree, check-*): such a txn takes no raft index.
bool IsReadOnlyTxn(const std::vector<TxnOp>& ops);

// Applies `ops` in order to `kv` at raft index `idx`. On failure `kv` is left partly written:
// the caller applies to a copy and keeps it only when the outcome is ok.
TxnOutcome ApplyTxn(KvStore& kv, const std::vector<TxnOp>& ops,
                    const std::function<bool(const std::string&)>& session_exists, uint64_t idx,
                    SteadyTime now);

}  // namespace shardgate::consul::dev
