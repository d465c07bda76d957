// KV snapshot: what `--snapshot FILE` keeps across restarts (KV entries, tombstones, indexes).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "common/status.h"
#include "dev/consul/types.h"

namespace shardgate::consul::dev {

struct KvSnapshot {
  uint64_t index = 0;     // the global raft-like index
  uint64_t kv_index = 0;  // the KV table index
  std::map<std::string, KvEntry> entries;
  std::map<std::string, uint64_t> tombstones;  // key -> delete index
};

std::string EncodeSnapshot(const KvSnapshot& snapshot);
// InvalidArgument naming what is wrong when the text is not a snapshot.
Result<KvSnapshot> DecodeSnapshot(const std::string& text);

// Writes `<path>.tmp`, fsyncs it and renames it over `path`, so a crash leaves the old or the
// new snapshot, never half of one.
Status WriteSnapshotFile(const std::filesystem::path& path, const KvSnapshot& snapshot);
// std::nullopt when the file does not exist.
Result<std::optional<KvSnapshot>> ReadSnapshotFile(const std::filesystem::path& path);

}  // namespace shardgate::consul::dev
