// KV snapshot file: JSON with base64 values, written atomically (see snapshot.h).
#include "dev/consul/snapshot.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/base64.h"

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
  const std::string text = EncodeSnapshot(snapshot);
  const std::string tmp = path.string() + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Internal("open " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return Internal("write " + tmp + ": " + std::strerror(errno));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return Internal("fsync " + tmp + " failed");
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return Internal("rename " + tmp + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Result<std::optional<KvSnapshot>> ReadSnapshotFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return std::optional<KvSnapshot>();
    return InvalidArgument("cannot read snapshot " + path.string());
  }
  std::stringstream buf;
  buf << in.rdbuf();
  Result<KvSnapshot> s = DecodeSnapshot(buf.str());
  if (!s.ok()) return InvalidArgument(path.string() + ": " + s.status().message());
  return std::optional<KvSnapshot>(std::move(*s));
}

}  // namespace shardgate::consul::dev
