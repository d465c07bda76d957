// KV snapshot file: JSON with base64 values, written atomically (see snapshot.h).
#include "dev/consul/snapshot.h"

#include <nlohmann/json.hpp>

#include "common/base64.h"
#include "common/file.h"

namespace shardgate::consul::dev {

std::string EncodeSnapshot(const KvSnapshot& snapshot) {
  nlohmann::json entries = nlohmann::json::array();
  for (const auto& [key, e] : snapshot.entries) {
    entries.push_back({{"Key", Base64Encode(key)},
                       {"Value", Base64Encode(e.value)},
                       {"Flags", e.flags},
                       {"LockIndex", e.lock_index},
                       {"CreateIndex", e.create_index},
                       {"ModifyIndex", e.modify_index}});
  }
  nlohmann::json tombstones = nlohmann::json::array();
  for (const auto& [key, idx] : snapshot.tombstones) {
    tombstones.push_back({{"Key", Base64Encode(key)}, {"Index", idx}});
  }
  nlohmann::json doc = {{"Format", "shardgate-consul-dev-kv-1"},
                        {"Index", snapshot.index},
                        {"KvIndex", snapshot.kv_index},
                        {"Entries", entries},
                        {"Tombstones", tombstones}};
  return doc.dump() + "\n";
}

Result<KvSnapshot> DecodeSnapshot(const std::string& text) {
  try {
    nlohmann::json doc = nlohmann::json::parse(text);
    if (doc.value("Format", "") != "shardgate-consul-dev-kv-1") {
      return InvalidArgument("not a shardgate-consul-dev KV snapshot (Format)");
    }
    KvSnapshot s;
    s.index = doc.at("Index").get<uint64_t>();
    s.kv_index = doc.at("KvIndex").get<uint64_t>();
    for (const auto& j : doc.at("Entries")) {
      Result<std::string> key = Base64Decode(j.at("Key").get<std::string>());
      Result<std::string> value = Base64Decode(j.at("Value").get<std::string>());
      if (!key.ok() || !value.ok()) return InvalidArgument("snapshot entry with bad base64");
      KvEntry e{*key, *value, j.at("Flags").get<uint64_t>(), j.at("LockIndex").get<uint64_t>()};
      e.create_index = j.at("CreateIndex").get<uint64_t>();
      e.modify_index = j.at("ModifyIndex").get<uint64_t>();
      s.entries[e.key] = e;
    }
    for (const auto& j : doc.at("Tombstones")) {
      Result<std::string> key = Base64Decode(j.at("Key").get<std::string>());
      if (!key.ok()) return InvalidArgument("snapshot tombstone with bad base64");
      s.tombstones[*key] = j.at("Index").get<uint64_t>();
    }
    return s;
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument(std::string("snapshot is not valid: ") + e.what());
  }
}

Status WriteSnapshotFile(const std::filesystem::path& path, const KvSnapshot& snapshot) {
  return WriteFileAtomically(path, EncodeSnapshot(snapshot), 0600);
}

Result<std::optional<KvSnapshot>> ReadSnapshotFile(const std::filesystem::path& path) {
  Result<std::string> text = ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == Code::kNotFound) return std::optional<KvSnapshot>();
    return InvalidArgument(text.status().message());
  }
  Result<KvSnapshot> s = DecodeSnapshot(*text);
  if (!s.ok()) return InvalidArgument(path.string() + ": " + s.status().message());
  return std::optional<KvSnapshot>(std::move(*s));
}

}  // namespace shardgate::consul::dev
