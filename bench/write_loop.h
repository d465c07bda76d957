// The failover bench's client: one write through a given port (libpq), and a thread that
// repeats it every few milliseconds and records every attempt.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/status.h"

namespace shardgate::bench {

// One write attempt; on success the cluster_name of the node that took the write.
using WriteOnce = std::function<Result<std::string>()>;

// A WriteOnce through 127.0.0.1:port as user postgres: in one simple query, `create table if
// not exists` and an insert returning current_setting('cluster_name'). `pg_options` goes into
// the startup packet's `options` (e.g. "-c shardgate.key=1" for a shardgate router port;
// PostgreSQL takes a dotted name it does not know as a placeholder setting, so the same writes
// also work on a plain port). Every attempt opens a new connection, so every attempt is a new
// routing decision of the HAProxy under test, and ends (connect included) within
// `attempt_timeout`. The WriteOnce may be called from any thread.
WriteOnce MakePgWriter(int port, const std::string& pg_options,
                       std::chrono::milliseconds attempt_timeout);

struct WriteAttempt {
  std::chrono::steady_clock::time_point start, end;
  bool ok = false;
  std::string detail;  // the node on success, the error otherwise
};

// Calls `write_once` on its own thread, starting an attempt every `period` (or as soon as the
// previous one ended, when it took longer), until Stop(). Thread-safety: Start/Stop from one
// thread; the queries from any thread.
class WriteLoop {
 public:
  WriteLoop(WriteOnce write_once, std::chrono::milliseconds period);
  ~WriteLoop();
  WriteLoop(const WriteLoop&) = delete;
  WriteLoop& operator=(const WriteLoop&) = delete;

  void Start();
  // Returns once the attempt under way has ended (bounded by the writer's own timeout).
  void Stop();
  // The first successful attempt that started at or after `from` and wrote to `node`.
  std::optional<WriteAttempt> FirstSuccessFrom(std::chrono::steady_clock::time_point from,
                                               const std::string& node) const;
  // The last attempt that ended, if any.
  std::optional<WriteAttempt> Last() const;

 private:
  void Run();

  WriteOnce write_once_;
  std::chrono::milliseconds period_;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<WriteAttempt> attempts_;  // guarded by mu_
  std::thread thread_;
};

}  // namespace shardgate::bench
