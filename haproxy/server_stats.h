// `show stat` for servers: each server's status, weight and current sessions, which `show
// servers state` does not carry (the admin API's shard view shows them).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace shardgate::haproxy {

struct ServerStat {
  std::string backend;   // pxname
  std::string server;    // svname
  std::string status;    // "UP", "DOWN", "MAINT", "DRAIN", "no check", "UP 1/2", ...
  int weight = 0;        // effective weight
  int64_t sessions = 0;  // scur: sessions open now
  bool operator==(const ServerStat&) const = default;
};

// Parses the CSV `show stat` answers (header line "# pxname,svname,..."); columns are found by
// name, rows that are not servers (FRONTEND, BACKEND) are skipped. Errors: kProtocol naming the
// missing column or the bad line.
Result<std::vector<ServerStat>> ParseServerStats(std::string_view csv);

}  // namespace shardgate::haproxy
