// KV table semantics (see kv_store.h).
#include "dev/consul/kv_store.h"

#include <algorithm>

namespace shardgate::consul::dev {
namespace {

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

bool SameContent(const KvEntry& a, const KvEntry& b) {
  return a.value == b.value && a.flags == b.flags && a.session == b.session &&
         a.lock_index == b.lock_index;
}

}  // namespace

const KvEntry* KvStore::Get(const std::string& key) const {
  auto it = entries_.find(key);
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<const KvEntry*> KvStore::List(const std::string& prefix) const {
  std::vector<const KvEntry*> out;
  for (auto it = entries_.lower_bound(prefix);
       it != entries_.end() && StartsWith(it->first, prefix); ++it) {
    out.push_back(&it->second);
  }
  return out;
}

uint64_t KvStore::KeyIndex(const std::string& key) const {
  const KvEntry* e = Get(key);
  return e != nullptr ? e->modify_index : index_;
}

uint64_t KvStore::PrefixIndex(const std::string& prefix) const {
  if (prefix.empty()) return index_;
  uint64_t max = 0;
  for (const KvEntry* e : List(prefix)) max = std::max(max, e->modify_index);
  for (auto it = tombstones_.lower_bound(prefix);
       it != tombstones_.end() && StartsWith(it->first, prefix); ++it) {
    max = std::max(max, it->second.index);
  }
  return max != 0 ? max : index_;
}

KvWrite KvStore::Put(KvEntry entry, uint64_t idx) {
  auto it = entries_.find(entry.key);
  if (it != entries_.end()) {
    if (SameContent(it->second, entry)) return {true, false};
    entry.create_index = it->second.create_index;
  } else {
    entry.create_index = idx;
  }
  entry.modify_index = idx;
  entries_[entry.key] = std::move(entry);
  index_ = idx;
  return {true, true};
}

KvWrite KvStore::Set(const std::string& key, const std::string& value, uint64_t flags,
                     uint64_t idx) {
  KvEntry entry{key, value, flags};
  if (const KvEntry* old = Get(key)) {
    entry.session = old->session;
    entry.lock_index = old->lock_index;
  }
  return Put(std::move(entry), idx);
}

KvWrite KvStore::Cas(const std::string& key, const std::string& value, uint64_t flags, uint64_t cas,
                     uint64_t idx) {
  const KvEntry* old = Get(key);
  if (cas == 0 && old != nullptr) return {false, false};
  if (cas != 0 && (old == nullptr || old->modify_index != cas)) return {false, false};
  return Set(key, value, flags, idx);
}

KvWrite KvStore::Lock(const std::string& key, const std::string& value, uint64_t flags,
                      const std::string& session, uint64_t idx) {
  KvEntry entry{key, value, flags};
  entry.session = session;
  if (const KvEntry* old = Get(key)) {
    if (!old->session.empty() && old->session != session) return {false, false};
    entry.lock_index = old->session == session ? old->lock_index : old->lock_index + 1;
  } else {
    entry.lock_index = 1;
  }
  return Put(std::move(entry), idx);
}

KvWrite KvStore::Unlock(const std::string& key, const std::string& value, uint64_t flags,
                        const std::string& session, uint64_t idx) {
  const KvEntry* old = Get(key);
  if (old == nullptr || old->session != session) return {false, false};
  KvEntry entry{key, value, flags};
  entry.lock_index = old->lock_index;
  return Put(std::move(entry), idx);
}

void KvStore::Erase(const std::string& key, uint64_t idx, SteadyTime now) {
  entries_.erase(key);
  tombstones_[key] = Tombstone{idx, now};
  index_ = idx;
}

KvWrite KvStore::Delete(const std::string& key, uint64_t idx, SteadyTime now) {
  if (Get(key) == nullptr) return {true, false};
  Erase(key, idx, now);
  return {true, true};
}

KvWrite KvStore::DeleteCas(const std::string& key, uint64_t cas, uint64_t idx, SteadyTime now) {
  const KvEntry* old = Get(key);
  if (old == nullptr) return {true, false};
  if (cas == 0 || old->modify_index != cas) return {false, false};
  Erase(key, idx, now);
  return {true, true};
}

KvWrite KvStore::DeleteTree(const std::string& prefix, uint64_t idx, SteadyTime now) {
  std::vector<std::string> keys;
  for (const KvEntry* e : List(prefix)) keys.push_back(e->key);
  for (const std::string& k : keys) Erase(k, idx, now);
  return {true, !keys.empty()};
}

bool KvStore::InvalidateSession(const std::string& session, bool delete_keys, Nanos delay,
                                uint64_t idx, SteadyTime now) {
  std::vector<std::string> held;
  for (const auto& [key, e] : entries_) {
    if (e.session == session) held.push_back(key);
  }
  for (const std::string& key : held) {
    if (delete_keys) {
      Erase(key, idx, now);
    } else {
      KvEntry& e = entries_[key];
      e.session.clear();
      e.modify_index = idx;
      index_ = idx;
    }
    if (delay > Nanos(0)) lock_delay_until_[key] = now + delay;
  }
  return !held.empty();
}

bool KvStore::InLockDelay(const std::string& key, SteadyTime now) const {
  auto it = lock_delay_until_.find(key);
  return it != lock_delay_until_.end() && now < it->second;
}

void KvStore::ReapTombstones(SteadyTime cutoff) {
  std::erase_if(tombstones_, [&](const auto& kv) { return kv.second.at < cutoff; });
}

void KvStore::Restore(std::map<std::string, KvEntry> entries,
                      std::map<std::string, Tombstone> tombstones, uint64_t table_index) {
  entries_ = std::move(entries);
  for (auto& [key, e] : entries_) e.session.clear();
  tombstones_ = std::move(tombstones);
  lock_delay_until_.clear();
  index_ = table_index;
}

}  // namespace shardgate::consul::dev
