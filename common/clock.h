// Clock: the one seam for time. Real code gets SystemClock from main.cc; tests use FakeClock
// (tests/fakes/fake_clock.h) and never sleep.
#pragma once

#include <chrono>

namespace shardgate {

using SteadyTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;
using Millis = std::chrono::milliseconds;

// Thread-safety: implementations must be safe to call from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time, for deadlines, intervals and hysteresis.
  virtual SteadyTime Now() const = 0;
  // Wall-clock time, only for timestamps shown to people or stored in Consul.
  virtual WallTime WallNow() const = 0;
};

class SystemClock final : public Clock {
 public:
  SteadyTime Now() const override { return std::chrono::steady_clock::now(); }
  WallTime WallNow() const override { return std::chrono::system_clock::now(); }
};

}  // namespace shardgate
