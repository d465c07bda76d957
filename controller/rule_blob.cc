// Chunks, manifests and history entries of stored rule sets (see rule_blob.h).
#include "controller/rule_blob.h"

#include <cinttypes>
#include <cstdio>

#include <nlohmann/json.hpp>

namespace shardgate::controller {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kManifestFormat = "shardgate-rules-ref-1";
constexpr std::string_view kHistoryFormat = "shardgate-history-1";

std::string Hex64(uint64_t value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016" PRIx64, value);
  return text;
}

// Field readers: each error is kProtocol naming `where` and the field.
Result<const Json*> Field(const Json& object, const char* name, std::string_view where) {
  auto it = object.find(name);
  if (it == object.end()) return ProtocolError(std::string(where) + "." + name + " is missing");
  return &*it;
}

Result<uint64_t> Unsigned(const Json& object, const char* name, std::string_view where) {
  ASSIGN_OR_RETURN(const Json* field, Field(object, name, where));
  if (!field->is_number_unsigned()) {
    return ProtocolError(std::string(where) + "." + name + " is not an unsigned integer");
  }
  return field->get<uint64_t>();
}

Result<std::string> String(const Json& object, const char* name, std::string_view where) {
  ASSIGN_OR_RETURN(const Json* field, Field(object, name, where));
  if (!field->is_string())
    return ProtocolError(std::string(where) + "." + name + " is not a string");
  return field->get<std::string>();
}

// Parses `json` as an object whose "format" is `format`.
Result<Json> ParseDocument(std::string_view json, std::string_view format, std::string_view where) {
  Json doc = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return ProtocolError(std::string(where) + ": not valid JSON");
  if (!doc.is_object()) return ProtocolError(std::string(where) + ": not a JSON object");
  auto found = doc.find("format");
  if (found == doc.end() || *found != format) {
    return ProtocolError(std::string(where) + ": format is not \"" + std::string(format) + "\"");
  }
  return doc;
}

void PutBlobRef(Json& doc, const BlobRef& ref) {
  doc["blob"] = ref.id;
  doc["chunks"] = ref.chunks;
  doc["bytes"] = ref.bytes;
  doc["fnv1a64"] = Hex64(ref.fnv1a64);
}

Result<BlobRef> GetBlobRef(const Json& doc, std::string_view where) {
  BlobRef ref;
  ASSIGN_OR_RETURN(ref.id, String(doc, "blob", where));
  ASSIGN_OR_RETURN(ref.chunks, Unsigned(doc, "chunks", where));
  ASSIGN_OR_RETURN(ref.bytes, Unsigned(doc, "bytes", where));
  ASSIGN_OR_RETURN(std::string hex, String(doc, "fnv1a64", where));
  char* end = nullptr;
  ref.fnv1a64 = std::strtoull(hex.c_str(), &end, 16);
  if (hex.size() != 16 || end != hex.c_str() + hex.size()) {
    return ProtocolError(std::string(where) + ".fnv1a64 is not 16 hex digits");
  }
  if (ref.id.empty()) return ProtocolError(std::string(where) + ".blob is empty");
  return ref;
}

int64_t ToMillis(WallTime t) {
  return std::chrono::duration_cast<Millis>(t.time_since_epoch()).count();
}

}  // namespace

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::vector<std::string_view> SplitChunks(std::string_view bytes, size_t chunk_bytes) {
  std::vector<std::string_view> chunks;
  for (size_t at = 0; at < bytes.size(); at += chunk_bytes) {
    chunks.push_back(bytes.substr(at, chunk_bytes));
  }
  return chunks;
}

BlobRef DescribeBlob(std::string id, std::string_view bytes, size_t chunk_bytes) {
  return BlobRef{std::move(id), (bytes.size() + chunk_bytes - 1) / chunk_bytes, bytes.size(),
                 Fnv1a64(bytes)};
}

Result<std::string> JoinChunks(const BlobRef& ref, const std::map<size_t, std::string>& chunks) {
  const std::string where = "blob " + ref.id;
  std::string joined;
  joined.reserve(ref.bytes);
  for (size_t i = 0; i < ref.chunks; ++i) {
    auto chunk = chunks.find(i);
    if (chunk == chunks.end()) {
      return ProtocolError(where + ": chunk " + std::to_string(i) + " of " +
                           std::to_string(ref.chunks) + " is missing");
    }
    joined += chunk->second;
  }
  if (!chunks.empty() && chunks.rbegin()->first >= ref.chunks) {
    return ProtocolError(where + ": chunk " + std::to_string(chunks.rbegin()->first) +
                         " is beyond the manifest's " + std::to_string(ref.chunks) + " chunks");
  }
  if (joined.size() != ref.bytes) {
    return ProtocolError(where + ": chunks hold " + std::to_string(joined.size()) +
                         " bytes, the manifest says " + std::to_string(ref.bytes));
  }
  if (uint64_t sum = Fnv1a64(joined); sum != ref.fnv1a64) {
    return ProtocolError(where + ": checksum " + Hex64(sum) + " differs from the manifest's " +
                         Hex64(ref.fnv1a64));
  }
  return joined;
}

std::string EncodeManifest(const RulesManifest& manifest) {
  Json doc = {{"format", kManifestFormat}, {"version", manifest.version}};
  PutBlobRef(doc, manifest.blob);
  return doc.dump();
}

Result<RulesManifest> DecodeManifest(std::string_view json) {
  constexpr std::string_view kWhere = "rules manifest";
  ASSIGN_OR_RETURN(Json doc, ParseDocument(json, kManifestFormat, kWhere));
  RulesManifest manifest;
  ASSIGN_OR_RETURN(manifest.version, Unsigned(doc, "version", kWhere));
  ASSIGN_OR_RETURN(manifest.blob, GetBlobRef(doc, kWhere));
  return manifest;
}

bool IsManifest(std::string_view head_value) {
  // A manifest is a few hundred bytes; inline rule sets may be 256 KiB and are not searched.
  constexpr size_t kLargestManifest = 4096;
  return head_value.size() <= kLargestManifest &&
         head_value.find("\"" + std::string(kManifestFormat) + "\"") != std::string_view::npos;
}

std::string EncodeHistoryEntry(const HistoryEntry& entry) {
  Json doc = {{"format", kHistoryFormat},    {"version", entry.version},
              {"at_ms", ToMillis(entry.at)}, {"who", entry.who},
              {"action", entry.action},      {"reason", entry.reason},
              {"summary", entry.summary},    {"rule_count", entry.rule_count}};
  if (entry.rules) doc["rules"] = Json::parse(EncodeRuleSet(*entry.rules));
  if (entry.blob) PutBlobRef(doc, *entry.blob);
  return doc.dump();
}

Result<HistoryEntry> DecodeHistoryEntry(std::string_view json) {
  constexpr std::string_view kWhere = "history entry";
  ASSIGN_OR_RETURN(Json doc, ParseDocument(json, kHistoryFormat, kWhere));
  HistoryEntry entry;
  ASSIGN_OR_RETURN(entry.version, Unsigned(doc, "version", kWhere));
  ASSIGN_OR_RETURN(const Json* at_ms, Field(doc, "at_ms", kWhere));
  if (!at_ms->is_number_integer()) return ProtocolError("history entry.at_ms is not an integer");
  entry.at = WallTime(Millis(at_ms->get<int64_t>()));
  ASSIGN_OR_RETURN(entry.who, String(doc, "who", kWhere));
  ASSIGN_OR_RETURN(entry.action, String(doc, "action", kWhere));
  ASSIGN_OR_RETURN(entry.reason, String(doc, "reason", kWhere));
  ASSIGN_OR_RETURN(entry.summary, String(doc, "summary", kWhere));
  ASSIGN_OR_RETURN(entry.rule_count, Unsigned(doc, "rule_count", kWhere));
  if (auto rules = doc.find("rules"); rules != doc.end()) {
    ASSIGN_OR_RETURN(RuleSet set, Annotate(DecodeRuleSet(rules->dump()), kWhere));
    entry.rules = std::move(set);
  } else if (doc.contains("blob")) {
    ASSIGN_OR_RETURN(BlobRef ref, GetBlobRef(doc, kWhere));
    entry.blob = std::move(ref);
  }
  entry.restorable = entry.rules.has_value() || entry.blob.has_value();
  return entry;
}

}  // namespace shardgate::controller
