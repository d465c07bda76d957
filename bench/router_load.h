// Load generation and measurement helpers for the router benches: a closed-loop connection
// generator, process CPU time from /proc, CPU pinning, medians.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace shardgate::bench {

struct LoadSpec {
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = 2;
  std::vector<int64_t> keys;  // each connection uses one, round-robin with a per-thread offset
  uint64_t max_connections = 20000;
  std::chrono::milliseconds max_duration{3000};
  std::chrono::milliseconds step_timeout{2000};  // per connect/send/read step
  int cpu = -1;  // pin the client threads to this CPU; -1: no pinning
  // Connections started per second over all threads; 0: each thread starts the next one as
  // soon as the last one ended. Paced runs compare CPU per connection at an equal load.
  double paced_rate = 0;
};

struct LoadResult {
  uint64_t ok = 0;      // reached ReadyForQuery
  uint64_t failed = 0;  // anything else (error response, close, timeout)
  std::string first_failure;
  std::chrono::duration<double> elapsed{0};
  double Rate() const {
    return elapsed.count() > 0 ? static_cast<double>(ok) / elapsed.count() : 0;
  }
};

// Each client thread loops: connect -> StartupMessage with a key -> read until 'Z' ->
// Terminate -> close, until max_connections were started in total or max_duration passed
// (with paced_rate: connection i starts no earlier than i / paced_rate seconds in).
LoadResult RunClosedLoop(const LoadSpec& spec);

// One connection of a load, made by client thread `thread` as its `count`-th (from 0): true when
// it reached ReadyForQuery, else false with the reason in *reason. Called from several threads.
using ConnectionAttempt = std::function<bool(int thread, uint64_t count, std::string* reason)>;

// RunClosedLoop's threads, bounds, pacing and pinning (spec's host, port and keys unused) with
// any kind of connection, e.g. one over TLS.
LoadResult RunAttemptLoop(const LoadSpec& spec, const ConnectionAttempt& attempt);

// utime + stime of a process (all its threads) from /proc/<pid>/stat.
Result<std::chrono::microseconds> ProcessCpuTime(pid_t pid);

// Pins every thread of `pid` (/proc/<pid>/task) to one CPU.
Status PinProcess(pid_t pid, int cpu);
// Pins the calling thread to one CPU.
Status PinCurrentThread(int cpu);

// The median of a non-empty sample (mean of the two middle values for even sizes).
double Median(std::vector<double> values);

// "12345.6" with one decimal; "0.93" with two.
std::string Fixed(double value, int decimals);

}  // namespace shardgate::bench
