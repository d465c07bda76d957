// WatchPolicy: the blocking-query client rules (index handling, jittered exponential backoff,
// token-bucket rate limit) as a pure state machine over a Clock, so they are unit-tested with a
// fake clock. The loop that applies them is Watcher (consul/watch.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

#include "common/clock.h"
#include "consul/types.h"

namespace shardgate::consul {

struct WatchOptions {
  // Longest time the server holds one blocking query (Consul adds up to wait/16).
  std::chrono::milliseconds wait{std::chrono::minutes(5)};
  bool stale = false;
  // Backoff after consecutive errors: uniform in [0, min(max, initial * 2^(errors-1))].
  std::chrono::milliseconds backoff_initial{250};
  std::chrono::milliseconds backoff_max{30'000};
  // Token bucket: up to `rate_burst` requests at once, then one per `rate_interval`, so a server
  // that answers at once cannot make a watcher spin.
  double rate_burst = 2.0;
  std::chrono::milliseconds rate_interval{1'000};
  uint64_t seed = 0;  // jitter seed; 0 = from std::random_device
};

// Thread-safety: none; owned by one watcher loop.
class WatchPolicy {
 public:
  WatchPolicy(const Clock& clock, WatchOptions options);

  // The options for the next request: the current index (0 = non-blocking read), wait, stale.
  QueryOptions NextQuery() const;
  // How long to wait before sending the next request: the jittered backoff when the previous
  // request failed, extended until a rate token is available. Takes that token, so call it
  // exactly once per request.
  std::chrono::milliseconds NextDelay();
  // Applies an answer's index: a value < 1 counts as 1; an index lower than the current one
  // resets to 0 (snapshot restore, reaped tombstones) and returns true. Clears the error streak.
  bool OnSuccess(const QueryMeta& meta);
  // Records a failed request; the next NextDelay() backs off.
  void OnError();

  uint64_t index() const { return index_; }
  int consecutive_errors() const { return errors_; }
  // The upper bound of the backoff after `errors` consecutive errors (0 for none).
  std::chrono::milliseconds BackoffCeiling(int errors) const;

 private:
  const Clock& clock_;
  const WatchOptions options_;
  std::mt19937_64 rng_;
  uint64_t index_ = 0;
  int errors_ = 0;
  double tokens_;
  SteadyTime tokens_at_;  // when tokens_ was last brought up to date
};

}  // namespace shardgate::consul
