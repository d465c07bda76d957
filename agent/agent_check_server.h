// HAProxy agent-check responder: on each TCP connection, one status line, then close.
#pragma once

#include <stop_token>
#include <string>
#include <thread>

#include "agent/policy.h"
#include "agent/state_board.h"
#include "common/status.h"

namespace shardgate::agent {

// The line HAProxy's agent-check reads (words it understands, then "#" and a description):
//   critical                  -> "down #<reason>"
//   weight 0 (e.g. draining)  -> "drain #<reason>"
//   otherwise                 -> "ready up <pct>% #<reason>", pct = ceil(weight * 100 / 256)
// "ready" cancels a drain the agent asked for earlier; the percentage is relative to the
// server's configured weight in HAProxy.
std::string AgentCheckReply(const NodeState& state);

// Thread-safety: Start/Stop from one thread; the serving thread only reads the board.
class AgentCheckServer {
 public:
  explicit AgentCheckServer(const StateBoard& board) : board_(board) {}
  ~AgentCheckServer() { Stop(); }
  AgentCheckServer(const AgentCheckServer&) = delete;
  AgentCheckServer& operator=(const AgentCheckServer&) = delete;

  // Binds `host:port` (port 0 = any free port) and starts serving on its own thread.
  // Errors: kUnavailable naming the address when it cannot bind.
  Status Start(const std::string& host, int port);
  // The bound port. REQUIRES: Start succeeded.
  int port() const { return port_; }
  // Stops accepting within ~100 ms and joins the thread. Idempotent.
  void Stop();

 private:
  // Accepts until `stop`; polls the listening socket every 100 ms to notice it.
  void Serve(std::stop_token stop);

  const StateBoard& board_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::jthread thread_;
};

}  // namespace shardgate::agent
