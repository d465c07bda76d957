// The stored forms around a rule set too large for one Consul value: chunks, the manifest the
// rules head holds instead of the rules, and the history entry written with every version.
// Pure functions over values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "controller/routing_rules.h"

namespace shardgate::controller {

// A rule set document up to this size is stored inline in the head; a larger one goes to a blob.
inline constexpr size_t kInlineLimit = 256 * 1024;
// Largest chunk of a blob. Consul refuses values over 512 KiB; half of that leaves room.
inline constexpr size_t kChunkBytes = 256 * 1024;

// Where a blob's bytes are and how to check them once joined.
struct BlobRef {
  std::string id;  // "<version>-<random hex>": chunks under routing/blobs/<id>/<i>
  size_t chunks = 0;
  size_t bytes = 0;
  uint64_t fnv1a64 = 0;
  bool operator==(const BlobRef&) const = default;
};

// The head's value when the rule set lives in a blob:
// {"format":"shardgate-rules-ref-1","version":N,"blob":"<id>","chunks":k,"bytes":b,
//  "fnv1a64":"<16 lowercase hex digits>"}
struct RulesManifest {
  uint64_t version = 0;  // the rule set's version, readable without fetching the chunks
  BlobRef blob;
  bool operator==(const RulesManifest&) const = default;
};

// FNV-1a, 64 bits (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
uint64_t Fnv1a64(std::string_view bytes);

// `bytes` cut into consecutive pieces of `chunk_bytes` (the last one shorter); "" gives no
// chunks. The views point into `bytes`. REQUIRES: chunk_bytes > 0.
std::vector<std::string_view> SplitChunks(std::string_view bytes, size_t chunk_bytes);

// The BlobRef of `bytes` stored as blob `id` in chunks of `chunk_bytes`.
BlobRef DescribeBlob(std::string id, std::string_view bytes, size_t chunk_bytes);

// The blob's bytes from its chunks (index -> value). Errors: kProtocol naming the blob and what is
// wrong: a missing chunk (the first one), a chunk beyond the count, a byte count or checksum that
// differs from `ref`.
Result<std::string> JoinChunks(const BlobRef& ref, const std::map<size_t, std::string>& chunks);

std::string EncodeManifest(const RulesManifest& manifest);
// Errors: kProtocol naming the field.
Result<RulesManifest> DecodeManifest(std::string_view json);
// True when a head value is a manifest rather than an inline rule set (a cheap look: manifests
// are small and name their format).
bool IsManifest(std::string_view head_value);

// One rules version as the history keeps it:
// {"format":"shardgate-history-1","version":N,"at_ms":...,"who":"ops","action":"add",
//  "reason":"...","summary":"...","rule_count":n,"rules":<RuleSet document>}
// or, instead of "rules", "blob":"<id>" with "chunks", "bytes" and "fnv1a64" as in the manifest.
struct HistoryEntry {
  uint64_t version = 0;
  WallTime at{};
  std::string who;     // the admin token's name, or "anonymous"
  std::string action;  // add, delete, replace, rollback, seed
  std::string reason;
  std::string summary;  // one line for people, e.g. "added rule 12: 1000-2000 -> shard_3"
  size_t rule_count = 0;
  // Decoded only: the entry names its rules, so the version can be restored.
  bool restorable = false;
  std::optional<RuleSet> rules;  // inline rules (small sets)
  std::optional<BlobRef> blob;   // or the blob holding them
  bool operator==(const HistoryEntry&) const = default;
};

// Writes `rules` or `blob` (whichever is set; `restorable` is not stored).
std::string EncodeHistoryEntry(const HistoryEntry& entry);
// Errors: kProtocol naming the field (inline rules are checked as DecodeRuleSet checks them).
Result<HistoryEntry> DecodeHistoryEntry(std::string_view json);

}  // namespace shardgate::controller
