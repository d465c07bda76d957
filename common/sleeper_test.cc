// RealSleeper's stop handling (no test waits for time to pass), and FakeSleeper's bookkeeping.
#include "common/sleeper.h"

#include <doctest/doctest.h>

#include <thread>

#include "tests/fakes/fake_sleeper.h"

namespace shardgate {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

TEST_CASE("a real sleep whose deadline has passed returns at once with true") {
  RealSleeper sleeper;
  std::stop_source never;
  CHECK(sleeper.SleepUntil(std::chrono::steady_clock::now() - hours(1), never.get_token()));
  CHECK(sleeper.SleepFor(milliseconds(0), never.get_token()));
  CHECK(sleeper.SleepFor(milliseconds(-5), never.get_token()));
}

TEST_CASE("a real sleep after a stop request returns at once with false") {
  RealSleeper sleeper;
  std::stop_source stop;
  stop.request_stop();
  CHECK_FALSE(sleeper.SleepUntil(std::chrono::steady_clock::now() + hours(1), stop.get_token()));
  CHECK_FALSE(sleeper.SleepFor(hours(1), stop.get_token()));
  CHECK_FALSE(sleeper.SleepFor(milliseconds(0), stop.get_token()));
}

TEST_CASE("a stop request from another thread ends a long real sleep") {
  RealSleeper sleeper;
  std::stop_source stop;
  std::thread stopper([&] { stop.request_stop(); });
  CHECK_FALSE(sleeper.SleepFor(hours(1), stop.get_token()));  // would hang the suite otherwise
  stopper.join();
}

TEST_CASE("the fake sleeper records each sleep and moves the clock instead of waiting") {
  testing::FakeClock clock;
  testing::FakeSleeper sleeper(clock);
  std::stop_source never;
  SteadyTime start = clock.Now();
  CHECK(sleeper.SleepFor(milliseconds(250), never.get_token()));
  CHECK(clock.Now() == start + milliseconds(250));
  CHECK(sleeper.SleepUntil(start + hours(1), never.get_token()));
  CHECK(clock.Now() == start + hours(1));
  CHECK(sleeper.SleepUntil(start, never.get_token()));  // in the past: a zero sleep
  CHECK(clock.Now() == start + hours(1));
  CHECK(sleeper.sleeps() ==
        std::vector<Millis>{milliseconds(250), hours(1) - milliseconds(250), milliseconds(0)});
}

TEST_CASE("the fake sleeper refuses to sleep once stopped, and its hook can stop a loop") {
  testing::FakeClock clock;
  testing::FakeSleeper sleeper(clock);
  std::stop_source stop;
  sleeper.OnSleep([&](size_t count) {
    if (count == 3) stop.request_stop();
  });
  int rounds = 0;
  while (sleeper.SleepFor(milliseconds(100), stop.get_token())) ++rounds;
  CHECK(rounds == 2);
  CHECK(sleeper.sleeps().size() == 3);
  CHECK_FALSE(sleeper.SleepFor(milliseconds(100), stop.get_token()));
  CHECK(sleeper.sleeps().size() == 3);
}

}  // namespace
}  // namespace shardgate
