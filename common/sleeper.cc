// RealSleeper: a condition_variable_any wait that a stop request interrupts.
#include "common/sleeper.h"

#include <condition_variable>
#include <mutex>

namespace shardgate {

bool RealSleeper::SleepUntil(SteadyTime until, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  // Nothing but the stop request (or the deadline) ends the wait: the predicate stays false.
  cv.wait_until(lock, stop, until, [] { return false; });
  return !stop.stop_requested();
}

bool RealSleeper::SleepFor(Millis duration, std::stop_token stop) {
  if (duration.count() <= 0) return !stop.stop_requested();
  return SleepUntil(std::chrono::steady_clock::now() + duration, stop);
}

}  // namespace shardgate
