// Load generation and measurement helpers for the router benches (see router_load.h).
#include "bench/router_load.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/file.h"
#include "tests/harness/pgwire_client.h"

namespace shardgate::bench {
namespace {

using SteadyClock = std::chrono::steady_clock;

// Startup packets built once, so the generator spends its time on sockets, not strings.
std::vector<std::string> StartupPackets(const std::vector<int64_t>& keys) {
  std::vector<std::string> packets;
  for (int64_t key : keys) {
    packets.push_back(harness::StartupMessage(harness::KeyedParams("bench", "bench", key)));
  }
  if (packets.empty()) packets.push_back(harness::StartupMessage({{"user", "bench"}}));
  return packets;
}

// One connection: true when it reached ReadyForQuery; otherwise the reason.
bool OneConnection(const LoadSpec& spec, const std::string& startup, std::string* reason) {
  auto connection = harness::PgWireConnection::Connect(spec.host, spec.port, spec.step_timeout);
  if (!connection.ok()) {
    *reason = connection.status().ToString();
    return false;
  }
  Status sent = connection->Send(startup, {}, spec.step_timeout);
  if (!sent.ok()) {
    *reason = sent.ToString();
    return false;
  }
  auto reply = harness::ReadStartupReply(*connection, spec.step_timeout);
  if (!reply.ok() || !reply->ready) {
    *reason = !reply.ok()    ? reply.status().ToString()
              : reply->error ? reply->error->sqlstate + " " + reply->error->message
                             : "closed during startup";
    return false;
  }
  (void)connection->Send(harness::TerminateMessage(), {}, spec.step_timeout);
  return true;
}

}  // namespace

LoadResult RunClosedLoop(const LoadSpec& spec) {
  const std::vector<std::string> packets = StartupPackets(spec.keys);
  return RunAttemptLoop(spec, [&](int thread, uint64_t count, std::string* reason) {
    size_t next = static_cast<size_t>(thread) * 7919 + count;
    return OneConnection(spec, packets[next % packets.size()], reason);
  });
}

LoadResult RunAttemptLoop(const LoadSpec& spec, const ConnectionAttempt& attempt) {
  std::atomic<uint64_t> started{0}, ok{0}, failed{0};
  std::mutex failure_mutex;
  std::string first_failure;
  auto begin = SteadyClock::now();
  auto deadline = begin + spec.max_duration;
  std::vector<std::thread> threads;
  for (int t = 0; t < spec.threads; ++t) {
    threads.emplace_back([&, t] {
      if (spec.cpu >= 0) (void)PinCurrentThread(spec.cpu);
      for (uint64_t count = 0;; ++count) {
        uint64_t index = started.fetch_add(1);
        if (index >= spec.max_connections) break;
        if (spec.paced_rate > 0) {
          auto slot = begin + std::chrono::duration_cast<SteadyClock::duration>(
                                  std::chrono::duration<double>(static_cast<double>(index) /
                                                                spec.paced_rate));
          if (slot >= deadline) break;
          std::this_thread::sleep_until(slot);
        }
        if (SteadyClock::now() >= deadline) break;
        std::string reason;
        if (attempt(t, count, &reason)) {
          ok.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        failed.fetch_add(1, std::memory_order_relaxed);
        std::lock_guard lock(failure_mutex);
        if (first_failure.empty()) first_failure = reason;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  LoadResult result;
  result.ok = ok.load();
  result.failed = failed.load();
  result.first_failure = first_failure;
  result.elapsed = SteadyClock::now() - begin;
  return result;
}

Result<std::chrono::microseconds> ProcessCpuTime(pid_t pid) {
  ASSIGN_OR_RETURN(std::string text, ReadFile("/proc/" + std::to_string(pid) + "/stat"));
  // The command name (field 2) may contain spaces: fields are counted after its ')'.
  size_t close_paren = text.rfind(')');
  if (close_paren == std::string::npos)
    return NotFound("no /proc/" + std::to_string(pid) + "/stat");
  std::istringstream fields(text.substr(close_paren + 2));
  std::string field;
  long long utime = 0, stime = 0;
  for (int index = 3; fields >> field; ++index) {  // field 3 is the state
    if (index == 14) utime = std::stoll(field);
    if (index == 15) {
      stime = std::stoll(field);
      break;
    }
  }
  long ticks = sysconf(_SC_CLK_TCK);
  return std::chrono::microseconds((utime + stime) * 1000000LL / ticks);
}

Status PinProcess(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  std::error_code error;
  std::filesystem::directory_iterator tasks("/proc/" + std::to_string(pid) + "/task", error);
  if (error) return NotFound("no tasks for pid " + std::to_string(pid));
  for (const auto& task : tasks) {
    pid_t tid = std::stoi(task.path().filename().string());
    if (sched_setaffinity(tid, sizeof set, &set) != 0) {
      return Internal("sched_setaffinity " + std::to_string(tid) + " failed");
    }
  }
  return Status::Ok();
}

Status PinCurrentThread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) return Internal("sched_setaffinity failed");
  return Status::Ok();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::string Fixed(double value, int decimals) {
  char text[64];
  std::snprintf(text, sizeof text, "%.*f", decimals, value);
  return text;
}

}  // namespace shardgate::bench
