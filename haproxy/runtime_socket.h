// RuntimeSocket: the seam to HAProxy's runtime API (stats socket), Unix or TCP.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"
#include "haproxy/stats_connection.h"

namespace shardgate::haproxy {

// Sends one runtime-API command and returns HAProxy's whole reply. Abstract so it can be mocked
// out for tests (tests/fakes/fake_runtime_socket.h).
class RuntimeSocket {
 public:
  virtual ~RuntimeSocket() = default;

  // Sends `command` (without trailing newline; it may carry a payload after "<<\n", which must
  // then end with an empty line) and returns HAProxy's reply as non-interactive mode writes it
  // (everything HAProxy writes on a fresh connection before closing it), however the
  // implementation reaches HAProxy (see ConnectionPolicy).
  // Errors: kUnavailable (cannot connect, connection lost), kTimeout (no complete reply within
  // the timeout), kInvalidArgument (command contains a newline outside a payload), kProtocol
  // (a kept connection's interactive mode did not frame the reply as HAProxy 2.6 does).
  // Thread-safety: implementations must be safe to call concurrently from several threads.
  // Blocks for at most the configured timeout per command.
  virtual Result<std::string> Execute(std::string_view command) = 0;
};

// The stats socket as a Unix domain socket ("stats socket /run/haproxy.sock").
class UnixRuntimeSocket final : public RuntimeSocket {
 public:
  UnixRuntimeSocket(std::string path, std::chrono::milliseconds timeout,
                    ConnectionPolicy policy = ConnectionPolicy::PerCommand());
  Result<std::string> Execute(std::string_view command) override;

 private:
  StatsConnection connection_;
};

// The stats socket bound on TCP ("stats socket ipv4@127.0.0.1:9999").
class TcpRuntimeSocket final : public RuntimeSocket {
 public:
  TcpRuntimeSocket(std::string host, int port, std::chrono::milliseconds timeout,
                   ConnectionPolicy policy = ConnectionPolicy::PerCommand());
  Result<std::string> Execute(std::string_view command) override;

 private:
  StatsConnection connection_;
};

}  // namespace shardgate::haproxy
