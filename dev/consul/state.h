// State: the dev server's whole state machine (KV, sessions, catalog, one raft-like index) with
// the wake-up mechanism for blocking queries. No HTTP in here; unit-tested with values.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "dev/consul/catalog.h"
#include "dev/consul/kv_store.h"
#include "dev/consul/snapshot.h"
#include "dev/consul/txn.h"
#include "dev/consul/types.h"

namespace shardgate::consul::dev {

struct StateOptions {
  std::string datacenter = "dc1";  // as `consul agent -dev`; lower case (see ServesDatacenter)
  std::string node_name = "shardgate-dev";
  // Consul raises DeregisterCriticalServiceAfter values below this to it.
  Nanos deregister_critical_min = std::chrono::minutes(1);
  Nanos tombstone_ttl{0};  // 0: tombstones are kept forever
};

// Body of PUT /v1/session/create after JSON decoding; validated by State (500s, as Consul answers).
struct SessionRequest {
  std::string name;
  std::string node;  // "" = the agent's node
  std::optional<Nanos> lock_delay;
  std::string behavior;
  std::string ttl;
  std::optional<std::vector<std::string>> node_checks;
  std::vector<std::string> service_checks;
};

// Thread-safety: every public method is safe to call from any thread. Blocking queries wait on
// one condition variable that every committed write notifies.
class State {
 public:
  // `clock` drives TTLs, lock-delay and reaping; it must outlive the State.
  State(const Clock& clock, StateOptions options);

  // Registers the node (index 1) and, when given, restores KV and the index from a snapshot.
  void Init(const std::optional<KvSnapshot>& snapshot);
  // Called (with the state lock held) after every committed KV change.
  void SetKvObserver(std::function<void(const KvSnapshot&)> observer);

  // Runs `query(*this)` under the lock until the index it reports (`.index`) exceeds
  // `min_index` or `deadline` passes or Shutdown() is called; returns the last result.
  // min_index == 0 runs it once. `deadline` is real time: blocking waits are not faked.
  template <typename Query>
  auto Block(uint64_t min_index, std::chrono::steady_clock::time_point deadline, Query query) {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      auto result = query(static_cast<const State&>(*this));
      if (result.index < 1) result.index = 1;
      if (min_index == 0 || result.index > min_index || stopping_) return result;
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
        auto last = query(static_cast<const State&>(*this));
        if (last.index < 1) last.index = 1;
        return last;
      }
    }
  }

  // Read accessors, for use inside Block() queries only (the lock must be held).
  const KvStore& kv() const { return kv_; }
  const Catalog& catalog() const { return catalog_; }
  const std::map<std::string, Session>& sessions() const { return sessions_; }
  uint64_t sessions_index() const { return std::max<uint64_t>(sessions_index_, 1); }
  uint64_t index() const { return index_; }

  // KV writes.
  KvWrite KvSet(const std::string& key, const std::string& value, uint64_t flags);
  KvWrite KvCas(const std::string& key, const std::string& value, uint64_t flags, uint64_t cas);
  // Unknown session: Internal `invalid session "<id>"`. Lock-delay: false.
  Result<KvWrite> KvAcquire(const std::string& key, const std::string& value, uint64_t flags,
                            const std::string& session);
  KvWrite KvRelease(const std::string& key, const std::string& value, uint64_t flags,
                    const std::string& session);
  KvWrite KvDelete(const std::string& key);
  KvWrite KvDeleteCas(const std::string& key, uint64_t cas);
  KvWrite KvDeleteTree(const std::string& prefix);
  // Read-only txns see the current state and change nothing; others commit all or nothing.
  TxnOutcome Txn(const std::vector<TxnOp>& ops);

  // Sessions. Validation failures are Internal with Consul's text (HTTP 500).
  Result<std::string> CreateSession(const SessionRequest& request);
  // NotFound when the session is unknown or expired.
  Result<Session> RenewSession(const std::string& id);
  void DestroySession(const std::string& id);

  // Agent services and checks. NotFound carries Consul's 404 text.
  void RegisterService(Service service, std::vector<Check> checks, bool replace_checks);
  Status DeregisterService(const std::string& id);
  Status RegisterCheck(Check check);
  Status DeregisterCheck(const std::string& id);
  // pass/warn/fail/update: Internal `CheckID "x" does not have associated TTL` for non-TTL checks.
  Status UpdateTtlCheck(const std::string& id, const std::string& status, std::string output);
  Status SetServiceMaintenance(const std::string& id, bool enable, const std::string& reason);

  // Fires due timers: session TTLs (2 x TTL), check TTLs, DeregisterCriticalServiceAfter, and
  // tombstone reaping. Returns the next time something is due (at most one second away).
  SteadyTime ExpireDue();
  // Loops ExpireDue() until Shutdown(), sleeping on the condition variable between deadlines.
  void RunTimers();
  // Wakes every blocked query and RunTimers() for good.
  void Shutdown();

 private:
  uint64_t NextIndex() const { return index_ + 1; }
  void CommitLocked(uint64_t idx, bool kv_changed);
  KvSnapshot SnapshotLocked() const;
  std::string NewUuidLocked();
  Status ValidateSessionChecksLocked(const Session& s) const;
  void InvalidateSessionLocked(const std::string& id, uint64_t idx, SteadyTime now);
  // Invalidates every session bound to one of `check_ids` (they went critical or away).
  void InvalidateSessionsForChecksLocked(const std::vector<std::string>& check_ids, uint64_t idx,
                                         SteadyTime now);
  SteadyTime ExpireDueLocked(SteadyTime now);
  bool ExpireSessionsLocked(SteadyTime now, SteadyTime* next);
  bool ExpireChecksLocked(SteadyTime now, SteadyTime* next);
  bool ReapCriticalServicesLocked(SteadyTime now, SteadyTime* next);

  const Clock& clock_;
  const StateOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  uint64_t index_ = 0;
  KvStore kv_;
  Catalog catalog_;
  std::map<std::string, Session> sessions_;
  uint64_t sessions_index_ = 0;
  std::function<void(const KvSnapshot&)> kv_observer_;
  std::mt19937_64 rng_;
};

}  // namespace shardgate::consul::dev
