// LatestBoard<T>: a thread-safe board holding the latest snapshot of some state. Writers post
// new versions; readers copy the latest or wait for one newer than what they saw.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>
#include <utility>

#include "common/clock.h"

namespace shardgate {

// T: a copyable snapshot type with a `uint64_t version` member. The board owns that member: it
// starts at 0 and counts the posts, so a reader compares versions to notice news.
// Thread-safety: every method locks; safe from any thread. Copies are taken under the lock, so
// keep T cheap to copy.
template <typename T>
class LatestBoard {
 public:
  // Replaces the snapshot with `value`, bumps the version and wakes every waiter.
  void Post(T value) {
    PostEdit([&](T& current) { current = std::move(value); });
  }
  // Applies `edit(T&)` to the snapshot, bumps the version and wakes every waiter. For writers
  // that own only part of the snapshot.
  template <typename Edit>
  void PostEdit(Edit edit) {
    std::lock_guard lock(mu_);
    uint64_t version = snapshot_.version;
    edit(snapshot_);
    snapshot_.version = version + 1;
    cv_.notify_all();
  }
  // Applies `edit(T&)` without a new version and wakes no one: for side figures that readers
  // pick up with the next snapshot.
  template <typename Edit>
  void Amend(Edit edit) {
    std::lock_guard lock(mu_);
    uint64_t version = snapshot_.version;
    edit(snapshot_);
    snapshot_.version = version;
  }

  T Snapshot() const {
    std::lock_guard lock(mu_);
    return snapshot_;
  }

  // Waits until a version other than `seen_version` is posted, Wake() is called, `until`
  // passes (steady clock) or `stop` is requested, whichever comes first; returns the snapshot
  // at that point. A Wake() before the call is consumed by it.
  T WaitNewer(uint64_t seen_version, SteadyTime until, std::stop_token stop = {}) {
    std::unique_lock lock(mu_);
    cv_.wait_until(lock, stop, until, [&] { return Newer(seen_version); });
    woken_ = false;
    return snapshot_;
  }
  // The same without a deadline: until news, Wake() or `stop`.
  T WaitNewer(uint64_t seen_version, std::stop_token stop) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, stop, [&] { return Newer(seen_version); });
    woken_ = false;
    return snapshot_;
  }

  // Ends the current (or next) WaitNewer at once, without a new version.
  void Wake() {
    std::lock_guard lock(mu_);
    woken_ = true;
    cv_.notify_all();
  }

 private:
  // REQUIRES: mu_ held.
  bool Newer(uint64_t seen_version) const { return snapshot_.version != seen_version || woken_; }

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  T snapshot_{};
  bool woken_ = false;
};

}  // namespace shardgate
