// WatchPolicy: index rules, jittered exponential backoff and token-bucket rate limit.
#include "consul/watch_policy.h"

#include <algorithm>

namespace shardgate::consul {
namespace {

using Millis = std::chrono::milliseconds;

uint64_t Seed(uint64_t seed) { return seed != 0 ? seed : std::random_device{}(); }

}  // namespace

WatchPolicy::WatchPolicy(const Clock& clock, WatchOptions options)
    : clock_(clock),
      options_(options),
      rng_(Seed(options.seed)),
      tokens_(options.rate_burst),
      tokens_at_(clock.Now()) {}

QueryOptions WatchPolicy::NextQuery() const {
  QueryOptions query;
  query.index = index_;
  query.wait = options_.wait;
  query.stale = options_.stale;
  return query;
}

Millis WatchPolicy::BackoffCeiling(int errors) const {
  if (errors <= 0) return Millis(0);
  Millis ceiling = options_.backoff_initial;
  for (int i = 1; i < errors && ceiling < options_.backoff_max; ++i) ceiling *= 2;
  return std::min(ceiling, options_.backoff_max);
}

Millis WatchPolicy::NextDelay() {
  // Full jitter (uniform in [0, ceiling]) spreads reconnecting watchers after an outage.
  Millis backoff(0);
  if (Millis ceiling = BackoffCeiling(errors_); ceiling.count() > 0) {
    backoff = Millis(std::uniform_int_distribution<int64_t>(0, ceiling.count())(rng_));
  }
  // Refill the bucket up to the moment the request would go out, then take one token, waiting
  // for it if the bucket is empty.
  const SteadyTime send_at = clock_.Now() + backoff;
  const double interval_ms = static_cast<double>(
      std::max<int64_t>(options_.rate_interval.count(), 1));
  double elapsed_ms = std::chrono::duration<double, std::milli>(send_at - tokens_at_).count();
  tokens_ = std::min(options_.rate_burst, tokens_ + std::max(0.0, elapsed_ms) / interval_ms);
  Millis wait_for_token(0);
  if (tokens_ < 1.0) {
    wait_for_token = Millis(static_cast<int64_t>((1.0 - tokens_) * interval_ms + 0.999));
    tokens_ = 1.0;
  }
  tokens_ -= 1.0;
  tokens_at_ = send_at + wait_for_token;
  return backoff + wait_for_token;
}

bool WatchPolicy::OnSuccess(const QueryMeta& meta) {
  errors_ = 0;
  const uint64_t index = std::max<uint64_t>(meta.index, 1);
  if (index < index_) {
    index_ = 0;  // went backwards: start again with a non-blocking read
    return true;
  }
  index_ = index;
  return false;
}

void WatchPolicy::OnError() {
  ++errors_;
  // Keep the index: when Consul comes back the next query resumes where it left off.
}

}  // namespace shardgate::consul
