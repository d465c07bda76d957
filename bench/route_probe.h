// Where the router sends a new connection: the PostgreSQL port a fresh libpq session with a
// given shard key lands on, through a given HAProxy port.
#pragma once

#include <chrono>
#include <cstdint>

#include "common/status.h"

namespace shardgate::bench {

// Opens a new connection to 127.0.0.1:router_port with `-c shardgate.key=<key>` in the startup
// packet, runs `select current_setting('port')` and closes; returns the port of the PostgreSQL
// that answered. The whole exchange (connect included) ends within `timeout`.
// Errors: kUnavailable (refused, rejected by the router, lost), kTimeout, kProtocol (no row).
// Thread-safety: may be called from any thread.
Result<int> RoutedPort(int router_port, int64_t key, std::chrono::milliseconds timeout);

// Calls RoutedPort every `period` until it returns `want_port` (ok) or `timeout` passes
// (kTimeout naming the last answer).
Status WaitRoutedTo(int router_port, int64_t key, int want_port, std::chrono::milliseconds period,
                    std::chrono::milliseconds timeout);

}  // namespace shardgate::bench
