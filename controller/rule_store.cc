// The rules head, blobs and history in Consul KV (see rule_store.h).
#include "controller/rule_store.h"

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <map>
#include <random>

#include "common/log.h"
#include "controller/kv_layout.h"

namespace shardgate::controller {
namespace {

// Every failure of a Consul call is "Consul unavailable" to the admin API: nothing was written
// that anyone can see, and the caller may retry.
Status ConsulFailure(const Status& status) {
  return status.code() == Code::kUnavailable ? status : Unavailable(status.message());
}

template <typename T>
Result<T> FromConsul(Result<T> result) {
  if (result.ok()) return result;
  return ConsulFailure(result.status());
}

// "<version>-<16 random hex digits>": two writers racing for the same version never share chunks.
std::string NewBlobId(uint64_t version) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016" PRIx64, random());
  return std::to_string(version) + "-" + hex;
}

// The chunk index in a key under `prefix`; nullopt for any other name.
std::optional<size_t> ChunkIndex(std::string_view key, std::string_view prefix) {
  if (!key.starts_with(prefix) || key.size() == prefix.size()) return std::nullopt;
  std::string_view name = key.substr(prefix.size());
  size_t index = 0;
  auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), index);
  if (ec != std::errc() || end != name.data() + name.size()) return std::nullopt;
  return index;
}

void LogPruneFailure(std::string_view what, const Status& status) {
  Log(LogLevel::kWarn, "rules_prune_failed",
      {{"what", std::string(what)},
       {"error", status.ToString()},
       {"effect", "left in Consul; the next successful write prunes again"}});
}

// The text of a rolled-back transaction's errors.
std::string TxnErrors(const consul::TxnResult& txn) {
  std::string text;
  for (const consul::TxnError& e : txn.errors) {
    text += (text.empty() ? "" : "; ") + ("op " + std::to_string(e.op_index) + ": " + e.what);
  }
  return text;
}

}  // namespace

Result<RuleSet> LoadBlob(consul::Client& client, std::string_view cluster, const BlobRef& ref) {
  const std::string prefix = BlobPrefix(cluster, ref.id);
  ASSIGN_OR_RETURN(std::vector<consul::KvEntry> entries, FromConsul(client.List(prefix)));
  std::map<size_t, std::string> chunks;
  for (consul::KvEntry& entry : entries) {
    std::optional<size_t> index = ChunkIndex(entry.key, prefix);
    if (!index) return ProtocolError("blob " + ref.id + ": unexpected key " + entry.key);
    chunks.emplace(*index, std::move(entry.value));
  }
  ASSIGN_OR_RETURN(std::string document, JoinChunks(ref, chunks));
  return Annotate(DecodeRuleSet(document), "blob " + ref.id);
}

Result<RuleSet> ResolveRulesHead(consul::Client& client, std::string_view cluster,
                                 std::string_view head_value) {
  const std::string key = RulesKey(cluster);
  if (!IsManifest(head_value)) return Annotate(DecodeRuleSet(head_value), key);
  ASSIGN_OR_RETURN(RulesManifest manifest, Annotate(DecodeManifest(head_value), key));
  ASSIGN_OR_RETURN(RuleSet set, LoadBlob(client, cluster, manifest.blob));
  if (set.version != manifest.version) {
    return ProtocolError(key + ": manifest version " + std::to_string(manifest.version) +
                         " but blob " + manifest.blob.id + " holds version " +
                         std::to_string(set.version));
  }
  return set;
}

RuleStore::RuleStore(consul::Client& client, const Clock& clock, std::string cluster,
                     RuleStoreOptions options)
    : client_(client), clock_(clock), cluster_(std::move(cluster)), options_(options) {}

Result<StoredRules> RuleStore::Load() {
  ASSIGN_OR_RETURN(std::optional<consul::KvEntry> head,
                   FromConsul(client_.Get(RulesKey(cluster_))));
  if (!head) return StoredRules{};
  ASSIGN_OR_RETURN(RuleSet set, ResolveRulesHead(client_, cluster_, head->value));
  return StoredRules{std::move(set), head->modify_index};
}

Status RuleStore::WriteBlob(const BlobRef& ref, std::string_view bytes) {
  std::vector<std::string_view> chunks = SplitChunks(bytes, options_.chunk_bytes);
  for (size_t i = 0; i < chunks.size(); ++i) {
    Status put = client_.Put(BlobChunkKey(cluster_, ref.id, i), chunks[i]);
    if (!put.ok()) {
      DeleteBlob(ref.id);  // nothing refers to it yet
      return ConsulFailure(Annotate(put, "writing blob " + ref.id));
    }
  }
  return Status();
}

void RuleStore::DeleteBlob(std::string_view blob_id) {
  Status deleted = client_.DeleteTree(BlobPrefix(cluster_, blob_id));
  if (!deleted.ok()) LogPruneFailure("blob " + std::string(blob_id), deleted);
}

Status RuleStore::Commit(const RuleSet& next, uint64_t expected_index, const HistoryEntry& entry) {
  const std::string document = EncodeRuleSet(next);
  HistoryEntry record = entry;
  record.version = next.version;
  record.rule_count = next.rules.size();
  record.rules.reset();
  record.blob.reset();
  if (record.at == WallTime{}) record.at = clock_.WallNow();
  // Up to half the inline limit both the head and the history entry hold the document; above it
  // the history entry (and above the limit the head too) points to one shared blob.
  if (document.size() > options_.inline_limit / 2) {
    record.blob = DescribeBlob(NewBlobId(next.version), document, options_.chunk_bytes);
    RETURN_IF_ERROR(WriteBlob(*record.blob, document));
  } else {
    record.rules = next;
  }
  const std::string head = document.size() <= options_.inline_limit
                               ? document
                               : EncodeManifest(RulesManifest{next.version, *record.blob});
  consul::TxnOp swap{consul::TxnVerb::kCas, RulesKey(cluster_), head};
  swap.index = expected_index;
  consul::TxnOp history{consul::TxnVerb::kSet, HistoryKey(cluster_, next.version),
                        EncodeHistoryEntry(record)};
  // When the request fails in transport the transaction may still have been applied, so the
  // chunks are kept: deleting them could break a head that now names them.
  ASSIGN_OR_RETURN(consul::TxnResult txn,
                   FromConsul(Annotate(client_.Txn({swap, history}), "committing rules")));
  if (!txn.applied) {
    if (record.blob) DeleteBlob(record.blob->id);
    const bool lost_cas = std::any_of(txn.errors.begin(), txn.errors.end(),
                                      [](const consul::TxnError& e) { return e.op_index == 0; });
    if (lost_cas) {
      return Conflict("rules head " + RulesKey(cluster_) + " changed since index " +
                      std::to_string(expected_index));
    }
    return Unavailable("committing rules: transaction rolled back: " + TxnErrors(txn));
  }
  // Pruning costs two listings and a delete: a write that made a blob prunes at once (blobs are
  // large), others every kPruneEvery versions, so the history holds history_keep versions at
  // least and at most kPruneEvery - 1 more.
  if (record.blob || next.version % kPruneEvery == 0) Prune(next.version);
  return Status();
}

// Retention. A blob is referenced only by the head or the history entry of the version its id
// starts with (every write makes a new blob for its own version). So once the history keeps only
// versions >= `cutoff`, a blob of a version below `cutoff` is referenced by nothing: the head is
// never older than the newest history entry. Blobs of kept versions are left alone even when
// nothing references them (a writer that lost its CAS and crashed before cleaning up, or one
// still writing chunks for a version that will lose): they go once their version leaves the
// window. A racing writer's fresh blob is always at a version >= cutoff and is never touched.
void RuleStore::Prune(uint64_t version) {
  Result<std::vector<std::string>> keys = client_.Keys(HistoryPrefix(cluster_), "");
  if (!keys.ok()) return LogPruneFailure("history", keys.status());
  std::vector<uint64_t> versions;
  for (const std::string& key : *keys) {
    if (std::optional<uint64_t> v = HistoryKeyVersion(key)) versions.push_back(*v);
  }
  std::sort(versions.begin(), versions.end());
  const size_t keep = std::max<size_t>(options_.history_keep, 1);
  const size_t drop = versions.size() > keep ? versions.size() - keep : 0;
  uint64_t cutoff = versions.empty() ? version : std::min(version, versions[drop]);
  std::vector<consul::TxnOp> deletes;
  for (size_t i = 0; i < drop; ++i) {
    deletes.push_back({consul::TxnVerb::kDelete, HistoryKey(cluster_, versions[i])});
    if (deletes.size() == consul::kMaxTxnOps || i + 1 == drop) {
      Result<consul::TxnResult> txn = client_.Txn(deletes);
      if (!txn.ok()) return LogPruneFailure("history", txn.status());
      deletes.clear();
    }
  }
  const std::string blobs_prefix = BlobsPrefix(cluster_);
  Result<std::vector<std::string>> blobs = client_.Keys(blobs_prefix, "/");
  if (!blobs.ok()) return LogPruneFailure("blobs", blobs.status());
  for (const std::string& key : *blobs) {
    std::string_view id = std::string_view(key).substr(blobs_prefix.size());
    if (id.ends_with('/')) id.remove_suffix(1);
    std::optional<uint64_t> blob_version = BlobIdVersion(id);
    if (blob_version && *blob_version < cutoff) DeleteBlob(id);
  }
}

Result<std::vector<HistoryEntry>> RuleStore::History(size_t limit) {
  ASSIGN_OR_RETURN(std::vector<std::string> keys,
                   FromConsul(client_.Keys(HistoryPrefix(cluster_), "")));
  std::sort(keys.begin(), keys.end());  // zero-padded: key order is version order
  std::vector<HistoryEntry> entries;
  for (auto key = keys.rbegin(); key != keys.rend() && entries.size() < limit; ++key) {
    if (!HistoryKeyVersion(*key)) continue;
    ASSIGN_OR_RETURN(std::optional<consul::KvEntry> stored, FromConsul(client_.Get(*key)));
    if (!stored) continue;  // pruned between the two reads
    ASSIGN_OR_RETURN(HistoryEntry entry, Annotate(DecodeHistoryEntry(stored->value), *key));
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<std::optional<RuleSet>> RuleStore::LoadVersion(uint64_t version) {
  const std::string key = HistoryKey(cluster_, version);
  ASSIGN_OR_RETURN(std::optional<consul::KvEntry> stored, FromConsul(client_.Get(key)));
  if (!stored) return std::optional<RuleSet>();
  ASSIGN_OR_RETURN(HistoryEntry entry, Annotate(DecodeHistoryEntry(stored->value), key));
  if (entry.rules) return std::optional<RuleSet>(std::move(*entry.rules));
  if (!entry.blob) return std::optional<RuleSet>();  // an entry that names no rules
  ASSIGN_OR_RETURN(RuleSet set, LoadBlob(client_, cluster_, *entry.blob));
  return std::optional<RuleSet>(std::move(set));
}

}  // namespace shardgate::controller
