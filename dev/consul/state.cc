// State core: index commits, wake-ups, KV writes, txns and snapshots (see state.h).
#include "dev/consul/state.h"

#include <cstdio>

namespace shardgate::consul::dev {

State::State(const Clock& clock, StateOptions options)
    : clock_(clock), options_(std::move(options)) {}

void State::Init(const std::optional<KvSnapshot>& snapshot) {
  std::lock_guard<std::mutex> lock(mu_);
  rng_.seed(std::random_device{}());
  index_ = 1;
  catalog_.Init(options_.datacenter, options_.node_name, NewUuidLocked(), index_);
  if (!snapshot.has_value()) return;
  std::map<std::string, Tombstone> tombstones;
  for (const auto& [key, idx] : snapshot->tombstones)
    tombstones[key] = Tombstone{idx, clock_.Now()};
  kv_.Restore(snapshot->entries, std::move(tombstones), snapshot->kv_index);
  index_ = std::max<uint64_t>(snapshot->index, 1);
}

void State::SetKvObserver(std::function<void(const KvSnapshot&)> observer) {
  std::lock_guard<std::mutex> lock(mu_);
  kv_observer_ = std::move(observer);
}

void State::CommitLocked(uint64_t idx, bool kv_changed) {
  index_ = idx;
  if (kv_changed && kv_observer_) kv_observer_(SnapshotLocked());
  cv_.notify_all();
}

KvSnapshot State::SnapshotLocked() const {
  KvSnapshot s;
  s.index = index_;
  s.kv_index = kv_.TableIndex();
  s.entries = kv_.entries();
  for (const auto& [key, t] : kv_.tombstones()) s.tombstones[key] = t.index;
  return s;
}

std::string State::NewUuidLocked() {
  uint64_t a = rng_();
  uint64_t b = rng_();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(a >> 32),
                static_cast<unsigned long long>((a >> 16) & 0xffff),
                static_cast<unsigned long long>(a & 0xffff),
                static_cast<unsigned long long>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

KvWrite State::KvSet(const std::string& key, const std::string& value, uint64_t flags) {
  std::lock_guard<std::mutex> lock(mu_);
  KvWrite w = kv_.Set(key, value, flags, NextIndex());
  if (w.changed) CommitLocked(NextIndex(), true);
  return w;
}

KvWrite State::KvCas(const std::string& key, const std::string& value, uint64_t flags,
                     uint64_t cas) {
  std::lock_guard<std::mutex> lock(mu_);
  KvWrite w = kv_.Cas(key, value, flags, cas, NextIndex());
  if (w.changed) CommitLocked(NextIndex(), true);
  return w;
}

Result<KvWrite> State::KvAcquire(const std::string& key, const std::string& value, uint64_t flags,
                                 const std::string& session) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!sessions_.contains(session)) return Internal("invalid session \"" + session + "\"");
  if (kv_.InLockDelay(key, clock_.Now())) return KvWrite{false, false};
  KvWrite w = kv_.Lock(key, value, flags, session, NextIndex());
  if (w.changed) CommitLocked(NextIndex(), true);
  return w;
}

KvWrite State::KvRelease(const std::string& key, const std::string& value, uint64_t flags,
                         const std::string& session) {
  std::lock_guard<std::mutex> lock(mu_);
  KvWrite w = kv_.Unlock(key, value, flags, session, NextIndex());
  if (w.changed) CommitLocked(NextIndex(), true);
  return w;
}

KvWrite State::KvDelete(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  KvWrite w = kv_.Delete(key, NextIndex(), clock_.Now());
  if (w.changed) CommitLocked(NextIndex(), true);
  return w;
}

KvWrite State::KvDeleteCas(const std::string& key, uint64_t cas) {
  std::lock_guard<std::mutex> lock(mu_);
  KvWrite w = kv_.DeleteCas(key, cas, NextIndex(), clock_.Now());
  if (w.changed) CommitLocked(NextIndex(), true);
  return w;
}

KvWrite State::KvDeleteTree(const std::string& prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  KvWrite w = kv_.DeleteTree(prefix, NextIndex(), clock_.Now());
  if (w.changed) CommitLocked(NextIndex(), true);
  return w;
}

TxnOutcome State::Txn(const std::vector<TxnOp>& ops) {
  std::lock_guard<std::mutex> lock(mu_);
  auto session_exists = [this](const std::string& id) { return sessions_.contains(id); };
  KvStore scratch = kv_;
  TxnOutcome out = ApplyTxn(scratch, ops, session_exists, NextIndex(), clock_.Now());
  if (out.ok && out.changed) {
    kv_ = std::move(scratch);
    CommitLocked(NextIndex(), true);
  }
  return out;
}

void State::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  stopping_ = true;
  cv_.notify_all();
}

SteadyTime State::ExpireDue() {
  std::lock_guard<std::mutex> lock(mu_);
  return ExpireDueLocked(clock_.Now());
}

void State::RunTimers() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    SteadyTime next = ExpireDueLocked(clock_.Now());
    cv_.wait_until(lock, next);
  }
}

SteadyTime State::ExpireDueLocked(SteadyTime now) {
  SteadyTime next = now + std::chrono::seconds(1);
  // Each pass may invalidate sessions or reap services that another pass looks at: repeat
  // until a full pass changes nothing.
  for (bool changed = true; changed;) {
    changed = ExpireChecksLocked(now, &next);
    changed = ExpireSessionsLocked(now, &next) || changed;
    changed = ReapCriticalServicesLocked(now, &next) || changed;
  }
  if (options_.tombstone_ttl > Nanos(0)) kv_.ReapTombstones(now - options_.tombstone_ttl);
  return next;
}

}  // namespace shardgate::consul::dev
