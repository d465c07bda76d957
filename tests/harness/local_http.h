// Plain exchanges with servers on 127.0.0.1 (a program's /metrics, /healthz, an agent-check
// port), enough for readiness checks and scraping without an HTTP library in the harness.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"

namespace shardgate::harness {

// Connects to 127.0.0.1:port, sends `request` (may be empty) and reads until the peer closes or
// `timeout` passes; returns what arrived. Errors: kUnavailable when the connection or the write
// fails.
Result<std::string> LoopbackExchange(int port, const std::string& request,
                                     std::chrono::milliseconds timeout);

struct HttpReply {
  int status = 0;    // e.g. 200
  std::string body;  // everything after the blank line
};

// One HTTP/1.0 GET of `path` on 127.0.0.1:port. Errors: kUnavailable when the connection fails,
// kProtocol when the reply has no status line.
Result<HttpReply> HttpGet(int port, const std::string& path, std::chrono::milliseconds timeout);

// The status code of one HTTP/1.0 GET (errors as HttpGet).
Result<int> HttpGetStatus(int port, const std::string& path, std::chrono::milliseconds timeout);

// The body of GET `path` when it answers 200; kUnavailable naming the status otherwise.
Result<std::string> HttpGetOk(int port, const std::string& path, std::chrono::milliseconds timeout);

// True when a TCP connection to 127.0.0.1:port is accepted (then closed at once).
bool TcpConnects(int port);

// The value of the first line of a Prometheus text page that starts with `name` followed by ' '
// (labels included in `name`, e.g. `shardgate_agent_status{status="passing"}`). kNotFound when
// there is none.
Result<double> PrometheusValue(const std::string& text, const std::string& name);

}  // namespace shardgate::harness
