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

// Raw key -> value, keys in snake_case.
using RawConfig = std::map<std::string, std::string>;

// What LoadConfig may consult, injectable so tests touch neither the environment nor files.
struct ConfigSources {
  std::vector<std::string> args;  // argv[1..]
  std::function<std::optional<std::string>(const std::string& name)> getenv;
  std::function<Result<std::string>(const std::string& path)> read_file;
};

// Parses a config file: one `key = value` per line, `#` comments, blank lines ignored.
// Errors: kInvalidArgument "line <n>: ...".
Result<RawConfig> ParseConfigFile(const std::string& text);

// Parses `--key=value` / `--key value` (dashes or underscores), plus `--config <path>`.
// Errors: kInvalidArgument naming the argument.
Result<RawConfig> ParseFlags(const std::vector<std::string>& args);

// Validates and converts; errors are kInvalidArgument "<key>: <why>".
Result<AgentConfig> BuildConfig(const RawConfig& raw);

// Merges every source and validates. Errors are kInvalidArgument "<key>: <why>".
Result<AgentConfig> LoadConfig(const ConfigSources& sources);

// Splits "host:port"; errors name `key`.
Result<std::pair<std::string, int>> ParseListen(const std::string& key, const std::string& value);

// Every key a config may hold, for --help and docs.
const std::vector<std::string>& ConfigKeys();

}  // namespace shardgate::agent
