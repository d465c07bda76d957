// StatsConnection: runtime-API commands to one stats socket address, each on its own connection
// or all on one connection kept open in HAProxy's interactive mode.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "common/status.h"
#include "haproxy/socket_io.h"

namespace shardgate::haproxy {

// How commands reach the stats socket. Either way a command gets the same reply bytes.
struct ConnectionPolicy {
  // One connection per command in non-interactive mode; HAProxy closes it after the reply.
  static ConnectionPolicy PerCommand() { return {}; }
  // One connection kept across commands in interactive mode: no connect and accept per command,
  // which were most of a short command's cost. It is replaced once older than `max_age`,
  // because a reloading HAProxy keeps serving a connection it accepted until `stats timeout`
  // idles it out, which steady use never lets happen: without the bound, commands would go on
  // reaching the old process and never the new one.
  static ConnectionPolicy KeepAlive(
      std::chrono::milliseconds max_age = std::chrono::milliseconds(1000)) {
    return {true, max_age};
  }

  bool keep_alive = false;
  std::chrono::milliseconds max_age{0};
};

// Thread-safety: Execute may be called from several threads. Per command, calls run in
// parallel; kept, a mutex holds one command's exchange at a time. The destructor closes a kept
// connection.
class StatsConnection {
 public:
  // Finds the address to connect to; called for every connection opened.
  using Resolver = std::function<Result<Endpoint>()>;

  // `peer` names the socket in messages, e.g. "stats socket /run/haproxy.sock".
  StatsConnection(Resolver resolve, std::string peer, std::chrono::milliseconds timeout,
                  ConnectionPolicy policy)
      : resolve_(std::move(resolve)), peer_(std::move(peer)), timeout_(timeout), policy_(policy) {}

  // As RuntimeSocket::Execute. Kept: a connection HAProxy closed while it was idle (`stats
  // timeout`, restart) is noticed before sending and replaced; a command whose write finds the
  // connection closed is sent once more on a new one (it never reached HAProxy); a command is
  // never sent again once part of its reply was read. Any error, a timeout included, closes the
  // connection, so the next command starts on a new one.
  Result<std::string> Execute(std::string_view command);

 private:
  Result<std::string> ExecutePerCommand(std::string_view command, SteadyClock::time_point deadline);
  Result<std::string> ExecuteKept(std::string_view command, SteadyClock::time_point deadline);
  // REQUIRES: mu_ held. Connects and turns interactive mode on.
  Status Open(SteadyClock::time_point deadline);
  // REQUIRES: mu_ held. Writes the command, reopening once when the peer had closed.
  Status SendKept(std::string_view bytes, SteadyClock::time_point deadline);
  // REQUIRES: mu_ held. Reads until the prompt; the reply as one-shot mode returns it.
  Result<std::string> ReadInteractiveReply(std::string_view command,
                                           SteadyClock::time_point deadline);

  const Resolver resolve_;
  const std::string peer_;
  const std::chrono::milliseconds timeout_;
  const ConnectionPolicy policy_;

  std::mutex mu_;
  Fd kept_;                            // GUARDED_BY(mu_)
  SteadyClock::time_point opened_at_;  // GUARDED_BY(mu_)
};

}  // namespace shardgate::haproxy
