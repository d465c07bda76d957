// HAProxy's master CLI (`-S <socket>` in master-worker mode): one command per connection, and
// the master's reload count from `show proc`.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace shardgate::bench {

// Connects to the master socket at `path`, sends `command`, half-closes (the 2.6 master CLI
// answers and closes only then) and reads until the master closes. `reload` gets no answer:
// the master re-executes itself and the connection ends. Errors: kUnavailable (cannot connect,
// connection reset), kTimeout (no end within `timeout`).
Result<std::string> MasterCommand(const std::string& path, const std::string& command,
                                  std::chrono::milliseconds timeout);

// The master's <reloads> column of `show proc`. Errors: MasterCommand's, kProtocol when the
// answer has no master line.
Result<int> MasterReloads(const std::string& path, std::chrono::milliseconds timeout);

}  // namespace shardgate::bench
