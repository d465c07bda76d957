// Agent configuration: defaults < file (`key = value`) < SHARDGATE_AGENT_* environment < flags,
// validated up front; every error names the key.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/policy.h"
#include "agent/publisher.h"
#include "common/clock.h"
#include "common/config_layers.h"
#include "common/log.h"
#include "common/status.h"

namespace shardgate::agent {

struct AgentConfig {
  PublisherConfig publish;  // cluster, shard, node, service name, address, TTL, heartbeat...
  PolicyConfig policy;
  std::string pg_conninfo;  // libpq connection string of the local node (no password: env/file)
  Millis interval{1000};
  Millis probe_timeout{800};       // default: 80% of interval
  Millis connect_timeout{800};     // default: probe_timeout
  std::string pgbouncer_conninfo;  // "" = no PgBouncer pool source
  std::string pgbouncer_database;  // "" = every pool
  std::string consul_address;      // "" = CONSUL_HTTP_ADDR or http://127.0.0.1:8500
  Millis consul_timeout{1000};
  std::string metrics_listen;      // "host:port"; "" = no /metrics server
  std::string agent_check_listen;  // "host:port"; "" = no agent-check responder
  LogLevel log_level = LogLevel::kInfo;
};

// Validates and converts; errors are kInvalidArgument "<key>: <why>".
Result<AgentConfig> BuildConfig(const RawConfig& raw);

// Merges every source and validates. Errors are kInvalidArgument "<key>: <why>".
Result<AgentConfig> LoadConfig(const ConfigSources& sources);

// Every key a config may hold, for --help and docs.
const std::vector<std::string>& ConfigKeys();

}  // namespace shardgate::agent
