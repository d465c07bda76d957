// FakeClock: a Clock that moves only when a test says so.
#pragma once

#include <atomic>

#include "common/clock.h"

namespace shardgate::testing {

class FakeClock final : public Clock {
 public:
  SteadyTime Now() const override { return SteadyTime(std::chrono::nanoseconds(now_ns_.load())); }
  WallTime WallNow() const override {
    return WallTime(std::chrono::nanoseconds(kWallEpochNs + now_ns_.load()));
  }
  void Advance(std::chrono::nanoseconds d) { now_ns_ += d.count(); }

 private:
  static constexpr long long kWallEpochNs = 1'700'000'000'000'000'000LL;
  std::atomic<long long> now_ns_{1'000'000'000LL};
};

}  // namespace shardgate::testing
