// Local TCP ports for tests: free ports on 127.0.0.1 and waiting until a port accepts.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"

namespace shardgate::harness {

// A port on 127.0.0.1 that was free a moment ago (bind to port 0). Never returns the same port
// twice within one process, so components started together do not collide. Thread-safe.
Result<int> FreePort();

// True when nothing listens on 127.0.0.1:port and a server (SO_REUSEADDR) could bind it right
// now: connections in TIME_WAIT on the port (a server stopped a moment ago) do not count.
bool PortIsFree(int port);

// Marks a port as handed out (e.g. a fixed default port), so FreePort() never returns it.
void ReservePort(int port);

// `port` itself (marked as handed out) when it is not 0, else FreePort(): a configured port with
// "0 = any" semantics.
Result<int> PortOrFree(int port);

// Polls until host:port accepts a TCP connection or `deadline` passes (kTimeout).
Status WaitForTcp(const std::string& host, int port,
                  std::chrono::steady_clock::time_point deadline);

}  // namespace shardgate::harness
