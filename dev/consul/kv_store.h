// The KV table: entries, tombstones, advisory locks and lock-delay, with Consul's index rules.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "dev/consul/types.h"

namespace shardgate::consul::dev {

// Outcome of one write: `ok` is what Consul answers (true/false), `changed` says whether the
// table moved (so the caller commits the raft index and wakes watchers).
struct KvWrite {
  bool ok = false;
  bool changed = false;
};

struct Tombstone {
  uint64_t index = 0;
  SteadyTime at{};
};

// Plain value class, no locking: State serialises access. Every write takes `idx`, the raft
// index the write gets if it changes anything.
class KvStore {
 public:
  const KvEntry* Get(const std::string& key) const;
  // Entries whose key starts with `prefix`, sorted by key.
  std::vector<const KvEntry*> List(const std::string& prefix) const;

  // Index reported for a single-key read: the key's ModifyIndex, else the table index.
  uint64_t KeyIndex(const std::string& key) const;
  // Index reported for a prefix list: max over entries and tombstones under the prefix, or
  // the table index when the prefix is empty or nothing matched.
  uint64_t PrefixIndex(const std::string& prefix) const;
  // Max over live entries and tombstones (the "kvs" + "tombstones" tables).
  uint64_t TableIndex() const { return index_; }

  // Plain PUT: replaces value and flags and keeps any lock holder. Identical entry: no change.
  KvWrite Set(const std::string& key, const std::string& value, uint64_t flags, uint64_t idx);
  // cas == 0: only when missing; otherwise only when ModifyIndex == cas.
  KvWrite Cas(const std::string& key, const std::string& value, uint64_t flags, uint64_t cas,
              uint64_t idx);
  // REQUIRES: the session exists and the key is not in a lock-delay window (the caller checks).
  KvWrite Lock(const std::string& key, const std::string& value, uint64_t flags,
               const std::string& session, uint64_t idx);
  KvWrite Unlock(const std::string& key, const std::string& value, uint64_t flags,
                 const std::string& session, uint64_t idx);
  KvWrite Delete(const std::string& key, uint64_t idx, SteadyTime now);
  // cas == 0 never deletes an existing key; a missing key answers true.
  KvWrite DeleteCas(const std::string& key, uint64_t cas, uint64_t idx, SteadyTime now);
  KvWrite DeleteTree(const std::string& prefix, uint64_t idx, SteadyTime now);

  // Session invalidation: release (clear Session, bump ModifyIndex) or delete every held key,
  // and start a lock-delay window of `delay` on each. Returns whether anything changed.
  bool InvalidateSession(const std::string& session, bool delete_keys, Nanos delay, uint64_t idx,
                         SteadyTime now);
  bool InLockDelay(const std::string& key, SteadyTime now) const;

  // Removes tombstones created before `cutoff` (Consul reaps them after tombstone_ttl).
  void ReapTombstones(SteadyTime cutoff);

  const std::map<std::string, KvEntry>& entries() const { return entries_; }
  const std::map<std::string, Tombstone>& tombstones() const { return tombstones_; }
  // Replaces the whole table (snapshot load). Lock holders are cleared: sessions are not kept.
  void Restore(std::map<std::string, KvEntry> entries, std::map<std::string, Tombstone> tombstones,
               uint64_t table_index);

 private:
  KvWrite Put(KvEntry entry, uint64_t idx);
  void Erase(const std::string& key, uint64_t idx, SteadyTime now);

  std::map<std::string, KvEntry> entries_;
  std::map<std::string, Tombstone> tombstones_;
  std::map<std::string, SteadyTime> lock_delay_until_;
  uint64_t index_ = 0;
};

}  // namespace shardgate::consul::dev
