// SIGINT/SIGTERM handling for harness programs: record the request, let the program tear down.
#pragma once

#include <chrono>

namespace shardgate::harness {

// Installs handlers for SIGINT and SIGTERM that only record the signal (so a Ctrl-C during
// start-up does not kill us before our children are stopped), and ignores SIGPIPE.
// Call once, early in main(), before starting threads or children.
void InstallShutdownHandlers();

// True once SIGINT or SIGTERM arrived. Async-signal-safe.
bool ShutdownRequested();

// The signal that requested shutdown, or 0.
int ShutdownSignal();

// Blocks until a shutdown signal arrives or `timeout` passes; returns ShutdownRequested().
bool WaitForShutdown(std::chrono::milliseconds timeout);

}  // namespace shardgate::harness
