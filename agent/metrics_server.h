// MetricsServer: serves GET /metrics (Prometheus text) from the board on its own thread.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "agent/state_board.h"
#include "common/status.h"

namespace httplib {
class Server;
}

namespace shardgate::agent {

// Thread-safety: Start/Stop from one thread.
class MetricsServer {
 public:
  explicit MetricsServer(const StateBoard& board);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Binds host:port (0 = any free port). Errors: kUnavailable naming the address.
  Status Start(const std::string& host, int port);
  int port() const { return port_; }
  void Stop();

 private:
  const StateBoard& board_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> serving_ended_{false};
};

}  // namespace shardgate::agent
