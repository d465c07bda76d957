// The real curl binary as an HTTP client, the way operators drive the admin API: status, headers
// and body of one request, with a bounded run time.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace shardgate::harness {

struct CurlReply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
};

// Runs `curl -sS -i <args...>` (args as an operator would type them after `curl`, e.g.
// {"-X", "POST", url, "-H", "Content-Type: application/json", "-d", body}). Errors: kUnavailable
// with curl's message when it got no HTTP answer; kProtocol when the answer does not parse.
Result<CurlReply> Curl(const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Splits curl -i output into status, headers and body; 1xx interim answers are skipped.
Result<CurlReply> ParseCurlOutput(const std::string& out);

}  // namespace shardgate::harness
