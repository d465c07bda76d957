// The failover bench's client: one write through a given port (libpq); harness::AttemptLoop
// repeats it and records every attempt.
#pragma once

#include <chrono>
#include <string>

#include "tests/harness/attempt_loop.h"

namespace shardgate::bench {

// One write attempt; on success the cluster_name of the node that took the write.
using WriteOnce = harness::AttemptFn;

// A WriteOnce through 127.0.0.1:port as user postgres: in one simple query, `create table if
// not exists` and an insert returning current_setting('cluster_name'). `pg_options` goes into
// the startup packet's `options` (e.g. "-c shardgate.key=1" for a shardgate router port;
// PostgreSQL takes a dotted name it does not know as a custom setting, so the same writes
// also work on a plain port). Every attempt opens a new connection, so every attempt is a new
// routing decision of the HAProxy under test, and ends (connect included) within
// `attempt_timeout`. The WriteOnce may be called from any thread.
WriteOnce MakePgWriter(int port, const std::string& pg_options,
                       std::chrono::milliseconds attempt_timeout);

// The libpq connection string of the benches' clients: 127.0.0.1:port as user postgres,
// sslmode=disable, `pg_options` (after -c client_min_messages=warning) in the startup packet.
std::string BenchConninfo(int port, const std::string& pg_options,
                          const std::string& application_name);

}  // namespace shardgate::bench
