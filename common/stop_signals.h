// SIGINT and SIGTERM taken by one waiting thread (sigwait) rather than by whichever thread runs.
#pragma once

namespace shardgate {

// Blocks SIGINT and SIGTERM in the calling thread; threads it starts afterwards inherit the
// mask, so the signals stay pending until WaitForStopSignal takes them.
// REQUIRES: called in main() before any thread starts (a thread started earlier could still
// receive them and end the process by their default action).
void BlockStopSignals();

// Waits until SIGINT or SIGTERM is pending and returns which one (consuming it).
// REQUIRES: BlockStopSignals() ran before any thread started.
// Thread-safety: any thread; with several waiters each signal wakes one of them.
int WaitForStopSignal();

}  // namespace shardgate
