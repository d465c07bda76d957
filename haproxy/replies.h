// Parsers of HAProxy 2.6 runtime-API replies: pure functions over captured text (haproxy/testdata/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace shardgate::haproxy {

// From `show info`: Pid and Uptime_sec change when HAProxy restarts (the controller resyncs).
struct ProcessInfo {
  int pid = 0;
  int64_t uptime_sec = 0;
  std::string version;
};

// One line of `show servers state` (format version 1).
struct ServerState {
  int backend_id = 0;
  std::string backend;
  int server_id = 0;
  std::string server;
  std::string addr;
  int port = 0;
  int op_state = 0;     // 0 stopped, 1 starting, 2 running, 3 stopping (srv_op_state)
  int admin_state = 0;  // bit field: 0x01 forced maint, 0x02 inherited maint, 0x08 forced drain...
  int weight = 0;       // current user weight (srv_uweight)
  int initial_weight = 0;
  int check_status = 0;
  int check_result = 0;
  int check_health = 0;
  int check_state = 0;
  std::string fqdn;     // "-" when none
};

// Admin-state bits of srv_admin_state (HAProxy's SRV_ADMF_*).
inline constexpr int kAdminForcedMaint = 0x01;
inline constexpr int kAdminInheritedMaint = 0x02;
inline constexpr int kAdminConfigMaint = 0x04;
inline constexpr int kAdminForcedDrain = 0x08;
inline constexpr int kAdminResolverMaint = 0x20;

// Operational states of srv_op_state (HAProxy's SRV_ST_*).
inline constexpr int kOpStopped = 0;
inline constexpr int kOpStarting = 1;
inline constexpr int kOpRunning = 2;
inline constexpr int kOpStopping = 3;

// Pure reply parsers (tested with captured HAProxy 2.6 replies in haproxy/testdata/).
Result<ProcessInfo> ParseShowInfo(std::string_view reply);
Result<std::vector<ServerState>> ParseServersState(std::string_view reply);
// `show map <file>` lines "<ref> <key> <value>" -> (key, value) pairs.
Result<std::vector<std::pair<std::string, std::string>>> ParseShowMap(std::string_view reply);
// `prepare map` -> "New version created: <n>".
Result<uint64_t> ParsePrepareMap(std::string_view reply);
// `get map <file> <key>` -> the value, or nullopt when HAProxy says "found=no".
Result<std::optional<std::string>> ParseGetMap(std::string_view reply);
// Checks the reply of a state-changing command: empty or a known success sentence is ok;
// HAProxy's error sentences become kInvalidArgument/kNotFound/kProtocol naming command and reply.
Status CheckCommandReply(std::string_view command, std::string_view reply);
// For commands that print data: an error only when the reply is one of HAProxy's error sentences
// ("No such ...", "Unknown map identifier", "Unknown command", "Permission denied").
Status CheckQueryReply(std::string_view command, std::string_view reply);

}  // namespace shardgate::haproxy
