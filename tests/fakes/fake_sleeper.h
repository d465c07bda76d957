// FakeSleeper: a Sleeper that never blocks. It records every requested sleep and moves a
// FakeClock to the end of it, so loops run at full speed while time passes only on paper.
#pragma once

#include <algorithm>
#include <cstddef>
#include <functional>
#include <mutex>
#include <stop_token>
#include <utility>
#include <vector>

#include "common/sleeper.h"
#include "tests/fakes/fake_clock.h"

namespace shardgate::testing {

// Thread-safety: every method locks; safe from any thread.
class FakeSleeper final : public Sleeper {
 public:
  explicit FakeSleeper(FakeClock& clock) : clock_(clock) {}

  // Records `until - now` (0 when `until` has passed) and advances the clock to `until`.
  bool SleepUntil(SteadyTime until, std::stop_token stop) override {
    return Sleep(std::max(Millis(0), std::chrono::duration_cast<Millis>(until - clock_.Now())),
                 stop);
  }
  // Records `duration` and advances the clock by it (not at all when it is <= 0).
  bool SleepFor(Millis duration, std::stop_token stop) override {
    return Sleep(std::max(Millis(0), duration), stop);
  }

  // Called after each recorded sleep with the number of sleeps so far; e.g. to request stop
  // after the n-th one and so end the loop under test.
  void OnSleep(std::function<void(size_t count)> hook) {
    std::lock_guard lock(mu_);
    on_sleep_ = std::move(hook);
  }
  // Every sleep so far, in order.
  std::vector<Millis> sleeps() const {
    std::lock_guard lock(mu_);
    return sleeps_;
  }

 private:
  bool Sleep(Millis duration, std::stop_token stop) {
    std::function<void(size_t)> hook;
    size_t count = 0;
    {
      std::lock_guard lock(mu_);
      if (stop.stop_requested()) return false;
      sleeps_.push_back(duration);
      clock_.Advance(duration);
      hook = on_sleep_;
      count = sleeps_.size();
    }
    if (hook) hook(count);
    return !stop.stop_requested();
  }

  FakeClock& clock_;
  mutable std::mutex mu_;
  std::vector<Millis> sleeps_;
  std::function<void(size_t)> on_sleep_;
};

}  // namespace shardgate::testing
