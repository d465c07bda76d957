// The failover trial driver: kill a shard's primary, promote its replica, and time the first
// write that gets through each port under test; then rebuild the lost node as a replica.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "bench/write_loop.h"
#include "common/status.h"
#include "tests/harness/stack.h"

namespace shardgate::bench {

// One port under test: a name for the report and how to write through it once.
struct WriteTarget {
  std::string name;  // "peer", "shardgate"
  WriteOnce write_once;
};

struct FailoverOptions {
  std::string shard = "shard_1";  // REQUIRES: nodes n1 and n2 in the stack
  int trials = 10;
  std::chrono::milliseconds write_period{10};
  // Kill -> give up on a target that has not written yet: the trial is a failure for it.
  std::chrono::milliseconds trial_timeout{30000};
  // Before the kill, every target must write to the current primary `settle_writes` times in
  // a row within `settle_timeout`; otherwise the trial is skipped and a failure for all.
  int settle_writes = 5;
  std::chrono::milliseconds settle_timeout{30000};
  // No trial starts after this much time since the first one started.
  std::chrono::milliseconds budget{std::chrono::minutes(15)};
  std::function<void(const std::string&)> log = [](const std::string&) {};
};

// One trial as one target saw it. Both figures end at the first successful write that started
// after the kill.
struct TrialSample {
  bool ok = false;
  std::chrono::milliseconds kill_to_write{0};     // SIGKILL of the primary -> that write
  std::chrono::milliseconds promote_to_write{0};  // `pg_ctl promote -w` returned -> that write
  std::string detail;                             // the node written to, or why it failed
};

struct TargetSamples {
  std::string name;
  std::vector<TrialSample> trials;
};

struct FailoverRun {
  std::vector<TargetSamples> targets;  // in the order given, one sample per trial run
  int trials_run = 0;
  // Why the run stopped before options.trials (no running primary, a replica that could not
  // be rebuilt, the budget); ok when every trial ran.
  Status stopped;
};

// Runs options.trials trials on the shard's nodes n1 and n2, all targets in every trial (each
// on its own writer thread, so they see the very same failover). A trial: make sure there is
// one running primary and one streaming replica (rebuilding the other node from the primary
// when needed), settle every target, start the writers, SIGKILL the primary, promote the
// replica, wait until every target wrote to the new primary or timed out, stop the writers.
// Roles alternate from trial to trial. Blocks for the whole run.
FailoverRun RunFailoverTrials(harness::Stack& stack, const std::vector<WriteTarget>& targets,
                              const FailoverOptions& options);

}  // namespace shardgate::bench
