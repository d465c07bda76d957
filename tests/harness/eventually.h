// Eventually: poll a condition with a deadline, the house alternative to sleeping in tests.
#pragma once

#include <chrono>
#include <thread>

namespace shardgate::harness {

// Calls `condition` every 20 ms until it returns true or `timeout` passes; checks once more at
// the deadline so a condition that became true during the last sleep still counts.
template <typename F>
bool Eventually(F condition, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return condition();
}

}  // namespace shardgate::harness
