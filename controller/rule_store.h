// RuleStore: the cluster's rules in Consul KV as the admin API reads and writes them: the head
// (inline or a manifest of chunks), the history of versions and its retention.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "consul/client.h"
#include "controller/routing_rules.h"
#include "controller/rule_blob.h"

namespace shardgate::controller {

// Writes without a blob prune old history every this many versions (see Commit).
inline constexpr uint64_t kPruneEvery = 16;

struct RuleStoreOptions {
  // A rule set document up to this size is stored in the head itself. History entries carry
  // their rules inline only up to half of it, so the head and the history entry both fit in one
  // transaction (Consul: 512 KiB per request, values travel base64-encoded).
  size_t inline_limit = kInlineLimit;
  size_t chunk_bytes = kChunkBytes;  // each blob chunk is one KV value
  size_t history_keep = 100;         // versions kept restorable; >= 1
};

struct StoredRules {
  RuleSet set;                // an empty set (version 0) when there is no head yet
  uint64_t modify_index = 0;  // the head's ModifyIndex, for Commit; 0 = no head key yet
};

// Thread-safety: all methods may be called concurrently (the store holds only the client, which
// is thread-safe, and immutable settings). Concurrent writers are ordered by the head's CAS.
// Errors (every method): Consul unreachable or answering an error -> kUnavailable; a stored
// document or blob that does not decode or verify -> kProtocol naming the key or blob.
class RuleStore {
 public:
  // `client` and `clock` must outlive the store.
  RuleStore(consul::Client& client, const Clock& clock, std::string cluster,
            RuleStoreOptions options = {});

  // The current rules, resolving a manifest head through its chunks.
  Result<StoredRules> Load();

  // Makes `next` the current rules if the head's ModifyIndex is still `expected_index` (0: only
  // if there is no head yet), and records `entry` as history/<next.version>. The store fills
  // entry.version, rule_count and where the rules are; entry.at is stamped from the clock when
  // left at the epoch. A large set's chunks are written first; the head and the history entry
  // then change together in one transaction, so readers never see one without the other.
  // Errors: kConflict when the head moved (the chunks just written are deleted, best effort);
  // kUnavailable when Consul failed (the head and history are unchanged; chunks may be left
  // behind and are removed by a later write's retention).
  // After a successful write, old history and unreferenced blobs are pruned, best effort
  // (failures are logged, not returned).
  // REQUIRES: ValidateRuleSet(next) ok.
  Status Commit(const RuleSet& next, uint64_t expected_index, const HistoryEntry& entry);

  // Up to `limit` history entries, newest first (their rules are not loaded: `rules` and `blob`
  // say where they are).
  Result<std::vector<HistoryEntry>> History(size_t limit);

  // The rules of one past version; nullopt when that version is not (or no longer) kept.
  Result<std::optional<RuleSet>> LoadVersion(uint64_t version);

 private:
  // Writes the chunks of blob `ref` holding `bytes`.
  Status WriteBlob(const BlobRef& ref, std::string_view bytes);
  void DeleteBlob(std::string_view blob_id);
  // Retention after a successful write of `version` (see the comment in rule_store.cc).
  void Prune(uint64_t version);

  consul::Client& client_;
  const Clock& clock_;
  const std::string cluster_;
  const RuleStoreOptions options_;
};

// The rule set a head value stands for: an inline document, or a manifest whose chunks are fetched
// through `client` and verified. Used by the rules watch and by RuleStore.
// Errors: kUnavailable when Consul failed; kProtocol when the head, a chunk or the joined document
// is wrong (a missing chunk, wrong size or checksum, a bad document).
Result<RuleSet> ResolveRulesHead(consul::Client& client, std::string_view cluster,
                                 std::string_view head_value);

// The rule set blob `ref` holds, fetched through `client` and verified. Errors as above.
Result<RuleSet> LoadBlob(consul::Client& client, std::string_view cluster, const BlobRef& ref);

}  // namespace shardgate::controller
