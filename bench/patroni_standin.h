// PatroniStandin: the part of Patroni's REST API that HAProxy's health checks use, for one
// PostgreSQL node: GET /primary (/master, /leader, /read-write, /) and GET /replica.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "agent/pq_session.h"
#include "common/clock.h"
#include "common/status.h"

namespace httplib {
class Server;
}

namespace shardgate::bench {

// What one probe of the node found.
enum class StandinRole { kPrimary, kReplica, kUnreachable };

// Answers like Patroni's health-check endpoints, from a live `select pg_is_in_recovery()` on
// every request (one kept libpq connection, each query bounded by `query_timeout`):
//   /primary /master /leader /read-write /   200 when the node answers and is not in recovery
//   /replica /read-only                      200 when the node answers and is in recovery
//                                            (/read-only: also when it is the primary)
//   anything else                            404; every other outcome 503.
// GET, HEAD and OPTIONS are accepted, as by Patroni. The body is a small JSON document with
// "state" and "role".
// Unlike Patroni, the role is the database's own answer at the moment of the check: no leader
// lock, no HA loop in between. That makes the stand-in at least as fast as Patroni to report a
// promotion, so the peer's figures are a lower bound for a real Patroni set-up.
// Thread-safety: Start/Stop from one thread; requests are served on the server's threads.
class PatroniStandin {
 public:
  // Serves on 127.0.0.1 on a free port for the PostgreSQL node at 127.0.0.1:pg_port.
  // Errors: kUnavailable when no port could be bound.
  static Result<std::unique_ptr<PatroniStandin>> Start(int pg_port,
                                                       std::chrono::milliseconds query_timeout);
  ~PatroniStandin();
  PatroniStandin(const PatroniStandin&) = delete;
  PatroniStandin& operator=(const PatroniStandin&) = delete;

  int port() const { return port_; }
  void Stop();

 private:
  PatroniStandin(int pg_port, std::chrono::milliseconds query_timeout);
  StandinRole Probe();
  void Route(const std::string& path, bool (*healthy)(StandinRole));

  SystemClock clock_;
  std::chrono::milliseconds query_timeout_;
  std::mutex session_mu_;  // one query at a time on the kept connection
  agent::PqSession session_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace shardgate::bench
