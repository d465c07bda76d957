// The admin bench's client of the controller's admin API (/api/v1/routing-map): one request,
// its status and JSON body, and what `wait=applied` reported.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace shardgate::bench {

struct AdminReply {
  int status = 0;
  nlohmann::json body;  // null when the body is not JSON
};

// One request to 127.0.0.1:port (`method` POST, PUT or GET) with `body` as application/json.
// Errors: kUnavailable when no answer came within `timeout`. Any HTTP status is a reply.
// Thread-safety: may be called from any thread.
Result<AdminReply> AdminRequest(int port, const std::string& method, const std::string& path,
                                const std::string& body, std::chrono::milliseconds timeout);

// What a change answered with `wait=applied`: done, and the map version every HAProxy runs.
struct AppliedView {
  bool done = false;
  uint64_t map_version = 0;
  size_t instances = 0;
  size_t pending = 0;
};

// Reads the reply's "applied" object. Errors: kProtocol naming the HTTP status and the
// body's error code when the reply is not a change answered with `applied`.
Result<AppliedView> ReadApplied(const AdminReply& reply);

}  // namespace shardgate::bench
