// Watcher<T>: runs a blocking query in a loop on its own thread and calls back only when the
// result really changed, following Consul's client contract (WatchPolicy) so callers never have
// to know the index/backoff/rate rules. Helpers build the query for a key, a prefix, a service.
#pragma once

#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/sleeper.h"
#include "common/status.h"
#include "consul/client.h"
#include "consul/types.h"
#include "consul/watch_policy.h"

namespace shardgate::consul {

template <typename T>
struct WatchCallbacks {
  // The first result, then every result that differs (operator==) from the last delivered one.
  std::function<void(const T& value, const QueryMeta& meta)> on_change;
  // Optional: each failed request, with the length of the error streak.
  std::function<void(const Status& status, int consecutive_errors)> on_error;
  // Optional: each successful request (changed or not), e.g. to clear a "consul down" metric.
  std::function<void(const QueryMeta& meta)> on_success;
};

// Thread-safety: Start() and Stop() from one owning thread; callbacks run on the watcher's thread,
// one at a time, and must not call Stop(). The clock, sleeper and whatever `fetch` captures must
// outlive the watcher. Stop() returns within about a second even while a query is blocked (the
// transfer is aborted through QueryOptions::cancel).
template <typename T>
class Watcher {
 public:
  using Fetch = std::function<Result<Queried<T>>(const QueryOptions&)>;

  Watcher(const Clock& clock, Sleeper& sleeper, WatchOptions options, Fetch fetch,
          WatchCallbacks<T> callbacks)
      : sleeper_(sleeper),
        policy_(clock, options),
        fetch_(std::move(fetch)),
        callbacks_(std::move(callbacks)) {}
  ~Watcher() { Stop(); }
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // REQUIRES: not started yet.
  void Start() {
    thread_ = std::jthread([this](std::stop_token stop) {
      while (Step(stop)) {
      }
    });
  }
  // Asks the loop to stop and returns at once; lets an owner of many watchers stop them all
  // in parallel before joining each with Stop().
  void RequestStop() { thread_.request_stop(); }
  // Stops the loop and joins its thread. Idempotent.
  void Stop() {
    if (!thread_.joinable()) return;
    thread_.request_stop();
    thread_.join();
  }

  // One round: wait out backoff/rate limit, query, deliver a change. Returns false once `stop`
  // was requested. Public so tests can drive the loop without a thread.
  bool Step(std::stop_token stop) {
    if (!sleeper_.SleepFor(policy_.NextDelay(), stop) || stop.stop_requested()) return false;
    QueryOptions query = policy_.NextQuery();
    query.cancel = stop;
    Result<Queried<T>> answer = fetch_(query);
    if (stop.stop_requested()) return false;
    if (!answer.ok()) {
      policy_.OnError();
      if (callbacks_.on_error) callbacks_.on_error(answer.status(), policy_.consecutive_errors());
      return true;
    }
    policy_.OnSuccess(answer->meta);
    if (callbacks_.on_success) callbacks_.on_success(answer->meta);
    if (last_.has_value() && *last_ == answer->value) return true;  // woke without a change
    last_ = std::move(answer->value);
    if (callbacks_.on_change) callbacks_.on_change(*last_, answer->meta);
    return true;
  }

  const WatchPolicy& policy() const { return policy_; }

 private:
  Sleeper& sleeper_;
  WatchPolicy policy_;
  Fetch fetch_;
  WatchCallbacks<T> callbacks_;
  std::optional<T> last_;
  std::jthread thread_;
};

// Queries for the common watches. `client` must outlive the returned function.
Watcher<std::optional<KvEntry>>::Fetch KeyQuery(Client& client, std::string key);
Watcher<std::vector<KvEntry>>::Fetch PrefixQuery(Client& client, std::string prefix);
Watcher<std::vector<ServiceEntry>>::Fetch HealthQuery(Client& client, std::string service,
                                                      bool passing_only);

}  // namespace shardgate::consul
