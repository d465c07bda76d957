// Unplanned failover trials: kill, promote, time the first write through each port, rebuild.
#include "bench/failover_trials.h"

#include <memory>
#include <thread>

namespace shardgate::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct ShardNodes {
  harness::PgNode* primary = nullptr;
  harness::PgNode* replica = nullptr;
};

bool RunningPrimary(const harness::PgNode& node) {
  return node.pid() != 0 && node.role() == harness::PgRole::kPrimary;
}

// The running primary, and the other node as its streaming replica (rebuilt unless it already
// runs as a replica: a killed primary comes back as a replica of the promoted one).
Result<ShardNodes> PrepareShard(harness::Stack& stack, const std::string& shard) {
  harness::PgNode* a = stack.Node(shard, "n1");
  harness::PgNode* b = stack.Node(shard, "n2");
  if (a == nullptr || b == nullptr) return InvalidArgument(shard + " needs nodes n1 and n2");
  if (!RunningPrimary(*a)) std::swap(a, b);
  if (!RunningPrimary(*a)) return Unavailable(shard + " has no running primary");
  if (b->pid() == 0 || b->role() != harness::PgRole::kReplica) {
    RETURN_IF_ERROR(b->RebuildAsReplica(*a));
  }
  return ShardNodes{a, b};
}

// Until `target` wrote to `primary` settle_writes times in a row.
Status Settle(const WriteTarget& target, const std::string& primary,
              const FailoverOptions& options) {
  auto deadline = Clock::now() + options.settle_timeout;
  std::string last = "no attempt";
  for (int in_row = 0; in_row < options.settle_writes;) {
    if (Clock::now() >= deadline) {
      return Timeout(target.name + " did not write to " + primary + " " +
                     std::to_string(options.settle_writes) + " times in a row; last: " + last);
    }
    Result<std::string> r = target.write_once();
    bool hit = r.ok() && *r == primary;
    in_row = hit ? in_row + 1 : 0;
    last = r.ok() ? "wrote to " + *r : r.status().ToString();
    if (!hit) std::this_thread::sleep_for(options.write_period);
  }
  return Status::Ok();
}

milliseconds Since(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration_cast<milliseconds>(to - from);
}

// The clock readings of one failover, and whether it happened.
struct Failover {
  Clock::time_point killed, kill_returned, promoted;
  Status status;
  std::string new_primary;
};

TrialSample SampleOf(const harness::AttemptLoop& loop, const Failover& f) {
  TrialSample s;
  if (!f.status.ok()) {
    s.detail = "failover did not happen: " + f.status.ToString();
    return s;
  }
  auto first = loop.FirstSuccessFrom(f.killed, f.new_primary);
  if (!first) {
    auto last = loop.Last();
    s.detail = "no write to " + f.new_primary +
               " in time; last attempt: " + (last ? last->detail : std::string("none"));
    return s;
  }
  s.ok = true;
  s.kill_to_write = Since(f.killed, first->end);
  s.promote_to_write = Since(f.promoted, first->end);
  s.detail = first->detail;
  return s;
}

bool AllWrote(const std::vector<std::unique_ptr<harness::AttemptLoop>>& loops, const Failover& f) {
  for (const auto& loop : loops) {
    if (!loop->FirstSuccessFrom(f.killed, f.new_primary)) return false;
  }
  return true;
}

// Writers on, kill, promote, wait for every writer (bounded), writers off.
std::vector<TrialSample> OneFailover(const ShardNodes& nodes,
                                     const std::vector<WriteTarget>& targets,
                                     const FailoverOptions& options, Failover* f) {
  std::vector<std::unique_ptr<harness::AttemptLoop>> loops;
  for (const WriteTarget& t : targets) {
    loops.push_back(std::make_unique<harness::AttemptLoop>(t.write_once, options.write_period));
    loops.back()->Start();
  }
  f->new_primary = nodes.replica->cluster_name();
  f->killed = Clock::now();
  f->status = nodes.primary->Kill();
  f->kill_returned = Clock::now();
  if (f->status.ok()) f->status = nodes.replica->Promote();
  f->promoted = Clock::now();
  auto deadline = f->killed + options.trial_timeout;
  while (f->status.ok() && Clock::now() < deadline && !AllWrote(loops, *f)) {
    std::this_thread::sleep_for(milliseconds(5));
  }
  std::vector<TrialSample> samples;
  for (auto& loop : loops) {
    loop->Stop();
    samples.push_back(SampleOf(*loop, *f));
  }
  return samples;
}

std::string TrialLine(int trial, const std::vector<WriteTarget>& targets,
                      const std::vector<TrialSample>& samples, const Failover& f) {
  std::string line = "trial " + std::to_string(trial) + ": kill took " +
                     std::to_string(Since(f.killed, f.kill_returned).count()) + " ms, promotion " +
                     std::to_string(Since(f.kill_returned, f.promoted).count()) + " ms";
  for (size_t i = 0; i < targets.size(); ++i) {
    const TrialSample& s = samples[i];
    line += "; " + targets[i].name + " ";
    line += s.ok ? "wrote " + std::to_string(s.kill_to_write.count()) + " ms after the kill (" +
                       std::to_string(s.promote_to_write.count()) + " ms after promotion)"
                 : "FAILED: " + s.detail;
  }
  return line;
}

// One trial for every target; an error when the shard could not be made ready.
Result<std::vector<TrialSample>> OneTrial(harness::Stack& stack, int trial,
                                          const std::vector<WriteTarget>& targets,
                                          const FailoverOptions& options) {
  ASSIGN_OR_RETURN(ShardNodes nodes, PrepareShard(stack, options.shard));
  for (const WriteTarget& t : targets) {
    Status settled = Settle(t, nodes.primary->cluster_name(), options);
    if (settled.ok()) continue;
    options.log("trial " + std::to_string(trial) + " skipped: " + settled.ToString());
    return std::vector<TrialSample>(targets.size(), TrialSample{false, {}, {}, settled.ToString()});
  }
  Failover f;
  std::vector<TrialSample> samples = OneFailover(nodes, targets, options, &f);
  options.log(TrialLine(trial, targets, samples, f));
  return samples;
}

}  // namespace

FailoverRun RunFailoverTrials(harness::Stack& stack, const std::vector<WriteTarget>& targets,
                              const FailoverOptions& options) {
  FailoverRun run;
  for (const WriteTarget& t : targets) run.targets.push_back({t.name, {}});
  auto started = Clock::now();
  for (int trial = 1; trial <= options.trials; ++trial) {
    if (Clock::now() - started >= options.budget) {
      run.stopped = Timeout("the " + std::to_string(options.budget.count()) +
                            " ms budget ran out after " + std::to_string(run.trials_run) +
                            " trials");
      break;
    }
    Result<std::vector<TrialSample>> samples = OneTrial(stack, trial, targets, options);
    if (!samples.ok()) {
      run.stopped = Annotate(samples.status(), "trial " + std::to_string(trial));
      break;
    }
    for (size_t i = 0; i < targets.size(); ++i) run.targets[i].trials.push_back((*samples)[i]);
    ++run.trials_run;
  }
  return run;
}

}  // namespace shardgate::bench
