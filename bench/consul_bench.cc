// consul_bench: figures for the Consul client against a local shardgate-consul-dev: write-to-wake
// latency of blocking watches (1 and 100 watchers), KV write rate, CPU per idle watch.
// Prints one line per figure; bounded in time (< 2 minutes); never fails on timing.
// SIGINT/SIGTERM skip the remaining figures, stop the watchers and the dev server, and exit 1.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "consul/client.h"
#include "consul/curl_transport.h"
#include "consul/watch.h"
#include "tests/harness/consul_dev_process.h"
#include "tests/harness/signals.h"

namespace shardgate::consul {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double Percentile(std::vector<double> samples, double p) {
  if (samples.empty()) return 0;
  std::sort(samples.begin(), samples.end());
  size_t at = std::min(samples.size() - 1, static_cast<size_t>(p * (samples.size() - 1) + 0.5));
  return samples[at];
}

// Watches that must not be throttled: the benchmark measures wake-up latency, not the limiter.
WatchOptions BenchWatchOptions() {
  WatchOptions options;
  options.wait = seconds(30);
  options.rate_burst = 1e9;
  options.rate_interval = milliseconds(1);
  return options;
}

// Delivery bookkeeping shared by every watcher of one run.
struct Wakeups {
  std::mutex mu;
  std::condition_variable cv;
  long expected_value = -1;       // the value just written
  Clock::time_point written_at;   // when its write started
  int seen = 0;                   // watchers that delivered expected_value
  std::vector<double> latencies;  // microseconds, one per watcher per write
};

// Why a measuring loop ended before its count; nullptr while it may go on.
const char* StopReason(const Clock::time_point deadline) {
  if (harness::ShutdownRequested()) return "interrupted";
  if (Clock::now() >= deadline) return "time budget spent";
  return nullptr;
}

// Writes `writes` values to one key and measures, for each, how long until every one of
// `watchers` watchers delivered it. Stops early at `budget`, and says why on stderr.
void MeasureWakeLatency(Client& client, int watchers, int writes, Clock::duration budget) {
  const std::string key = "bench/wake/" + std::to_string(watchers);
  if (!client.Put(key, "-1").ok()) return;
  SystemClock clock;
  RealSleeper sleeper;
  Wakeups w;
  std::vector<std::unique_ptr<Watcher<std::optional<KvEntry>>>> all;
  for (int i = 0; i < watchers; ++i) {
    WatchCallbacks<std::optional<KvEntry>> callbacks;
    callbacks.on_change = [&w](const std::optional<KvEntry>& entry, const QueryMeta&) {
      if (!entry) return;
      std::lock_guard lock(w.mu);
      if (entry->value != std::to_string(w.expected_value)) return;
      w.latencies.push_back(Micros(Clock::now() - w.written_at));
      ++w.seen;
      w.cv.notify_all();
    };
    all.push_back(std::make_unique<Watcher<std::optional<KvEntry>>>(
        clock, sleeper, BenchWatchOptions(), KeyQuery(client, key), callbacks));
    all.back()->Start();
  }
  {
    // Every watcher delivers the initial "-1" first; those reads are not wake-ups.
    std::unique_lock lock(w.mu);
    w.cv.wait_for(lock, seconds(10), [&] { return w.seen == watchers; });
    w.latencies.clear();
  }
  const Clock::time_point deadline = Clock::now() + budget;
  const char* stopped = nullptr;
  int done = 0;
  for (; done < writes && !(stopped = StopReason(deadline)); ++done) {
    {
      std::lock_guard lock(w.mu);
      w.expected_value = done;
      w.seen = 0;
      w.written_at = Clock::now();
    }
    if (!client.Put(key, std::to_string(done)).ok()) {
      stopped = "write failed";
      break;
    }
    std::unique_lock lock(w.mu);
    if (!w.cv.wait_for(lock, seconds(5), [&] { return w.seen == watchers; })) {
      stopped = "a watcher missed a write for 5 s";
      break;
    }
  }
  if (done < writes) {
    std::fprintf(stderr, "consul_bench: wake_latency watchers=%d stopped after %d writes: %s\n",
                 watchers, done, stopped ? stopped : "?");
  }
  for (auto& watcher : all) watcher->RequestStop();  // in parallel: each takes up to ~1 s
  for (auto& watcher : all) watcher->Stop();
  // The stopped watchers' queries stay blocked in the server until their wait ends; one more
  // write answers them now, so they do not slow down the next figures.
  (void)client.Put(key, "released");
  std::printf(
      "consul_bench wake_latency watchers=%d writes=%d p50_us=%.0f p99_us=%.0f max_us=%.0f\n",
      watchers, done, Percentile(w.latencies, 0.50), Percentile(w.latencies, 0.99),
      Percentile(w.latencies, 1.0));
}

// Sequential PUTs on one client for `budget`. `blocked_queries` only labels the line: how many
// blocking queries on other keys the server holds meanwhile (each write wakes them to re-check).
void MeasureWriteRate(Client& client, int blocked_queries, int max_writes, Clock::duration budget) {
  const Clock::time_point start = Clock::now();
  int done = 0;
  for (; done < max_writes && !StopReason(start + budget); ++done) {
    if (!client.Put("bench/write/" + std::to_string(done % 100), std::to_string(done)).ok()) break;
  }
  double secs = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf(
      "consul_bench kv_write_rate blocked_queries=%d writes=%d seconds=%.2f writes_per_s=%.0f\n",
      blocked_queries, done, secs, done / secs);
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto secs = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return secs(usage.ru_utime) + secs(usage.ru_stime);
}

// `watches` watchers on keys nobody writes, with the production defaults (wait 5 min); then,
// while they still block, the KV write rate. The keys exist: a missing key reports the
// store-wide index, so every write elsewhere would wake its watcher.
void MeasureIdleCpu(Client& client, int watches, Clock::duration duration) {
  for (int i = 0; i < watches; ++i) {
    if (!client.Put("bench/idle/" + std::to_string(i), "idle").ok()) return;
  }
  SystemClock clock;
  RealSleeper sleeper;
  std::mutex mu;
  std::condition_variable cv;
  int first_reads = 0;
  std::vector<std::unique_ptr<Watcher<std::optional<KvEntry>>>> all;
  for (int i = 0; i < watches; ++i) {
    WatchCallbacks<std::optional<KvEntry>> callbacks;
    callbacks.on_change = [&](const std::optional<KvEntry>&, const QueryMeta&) {
      std::lock_guard lock(mu);
      ++first_reads;  // nobody writes the key again: one call per watcher
      cv.notify_all();
    };
    all.push_back(std::make_unique<Watcher<std::optional<KvEntry>>>(
        clock, sleeper, WatchOptions{}, KeyQuery(client, "bench/idle/" + std::to_string(i)),
        callbacks));
    all.back()->Start();
  }
  {
    // Start-up reads are not idle cost: begin once every watcher has had its first answer.
    std::unique_lock lock(mu);
    cv.wait_for(lock, seconds(10), [&] { return first_reads == watches; });
  }
  const double cpu_before = CpuSeconds();
  const Clock::time_point start = Clock::now();
  const bool interrupted = harness::WaitForShutdown(
      std::chrono::duration_cast<milliseconds>(duration));
  const double cpu = CpuSeconds() - cpu_before;
  const double minutes = std::chrono::duration<double>(Clock::now() - start).count() / 60.0;
  if (!interrupted) {
    std::printf("consul_bench idle_watch_cpu watches=%d seconds=%.0f cpu_ms_total=%.1f "
                "cpu_ms_per_watch_per_minute=%.3f\n",
                watches, minutes * 60, cpu * 1000, cpu * 1000 / watches / minutes);
    MeasureWriteRate(client, watches, 50'000, seconds(5));
  }
  for (auto& watcher : all) watcher->RequestStop();  // in parallel: each takes up to ~1 s
  for (auto& watcher : all) watcher->Stop();
}

int Run() {
  harness::InstallShutdownHandlers();  // before any thread or child: a signal only sets a flag
  // Outside ctest nobody sets the variable the harness uses to find the dev server binary.
  setenv("SHARDGATE_BINARY_DIR", SHARDGATE_DEFAULT_BINARY_DIR, /*overwrite=*/0);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // one figure per line, even into a pipe
  auto dev = harness::ConsulDev::Start({});
  if (!dev.ok()) {
    std::fprintf(stderr, "consul_bench: cannot start the dev server: %s\n",
                 dev.status().ToString().c_str());
    return 1;
  }
  ClientConfig config;
  config.address = "http://" + (*dev)->address();
  auto transport = CurlTransport::Create({config.address, "", milliseconds(1000)});
  if (!transport.ok()) return 1;
  Client client(**transport, config);
  // Write rate first: queries abandoned by stopped watchers stay blocked in the server until
  // their wait ends, and every write wakes each of them to re-check its key.
  MeasureWriteRate(client, 0, 50'000, seconds(5));
  if (!harness::ShutdownRequested()) MeasureWakeLatency(client, 1, 1000, seconds(20));
  if (!harness::ShutdownRequested()) MeasureWakeLatency(client, 100, 1000, seconds(40));
  if (!harness::ShutdownRequested()) MeasureIdleCpu(client, 100, seconds(20));
  if (harness::ShutdownRequested()) {
    std::fprintf(stderr, "consul_bench: interrupted; stopping the dev server\n");
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace shardgate::consul

int main() { return shardgate::consul::Run(); }
