// Sleeper: the one seam for waiting. Loops that "sleep until the next round or until stopped"
// take a Sleeper; real code gets RealSleeper from main.cc, tests use FakeSleeper
// (tests/fakes/fake_sleeper.h), which moves a FakeClock instead of sleeping.
#pragma once

#include <stop_token>

#include "common/clock.h"

namespace shardgate {

// Thread-safety: implementations must allow concurrent calls from any thread.
class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Blocks until `until` (steady time) or until `stop` is requested, whichever comes first.
  // Returns false when stop was requested (before or during the sleep), true otherwise.
  virtual bool SleepUntil(SteadyTime until, std::stop_token stop) = 0;
  // The same for a duration from now; a duration <= 0 returns at once.
  virtual bool SleepFor(Millis duration, std::stop_token stop) = 0;
};

// Sleeps on a condition variable that a stop request wakes at once.
class RealSleeper final : public Sleeper {
 public:
  bool SleepUntil(SteadyTime until, std::stop_token stop) override;
  bool SleepFor(Millis duration, std::stop_token stop) override;
};

}  // namespace shardgate
