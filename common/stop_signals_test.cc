// Tests for the stop-signal helpers (in a thread of their own, so the test runner's mask stays).
#include "common/stop_signals.h"

#include <doctest/doctest.h>
#include <signal.h>

#include <thread>

namespace shardgate {
namespace {

TEST_CASE("a blocked SIGTERM stays pending until WaitForStopSignal takes it") {
  int got = 0;
  std::thread waiter([&got] {
    BlockStopSignals();
    raise(SIGTERM);  // blocked: pending on this thread instead of ending the process
    got = WaitForStopSignal();
  });
  waiter.join();
  CHECK(got == SIGTERM);
}

}  // namespace
}  // namespace shardgate
