// Controller configuration: defaults < file (`key = value`) < SHARDGATE_CONTROLLER_* environment <
// flags, validated up front; every error names the key. Keys: docs/controller.md.
#pragma once

#include <string>
#include <vector>

#include "common/clock.h"
#include "common/config_layers.h"
#include "common/log.h"
#include "common/status.h"

namespace shardgate::controller {

struct ControllerConfig {
  std::string cluster;
  std::string service_name;                  // default "shardgate-<cluster>"
  std::string consul_address;                // "" = CONSUL_HTTP_ADDR or http://127.0.0.1:8500
  std::string consul_datacenter;             // sent as ?dc=; "" = the Consul agent's own
  Millis consul_wait{60000};                 // how long one blocking query may wait for a change
  Millis consul_timeout{5000};               // budget of a request that does not block (KV writes)
  std::vector<std::string> haproxy_sockets;  // unix paths or host:port, one per HAProxy instance
  Millis haproxy_timeout{2000};              // per runtime-API command
  std::string ranges_map;  // the range map file HAProxy loads; kept current on disk
  std::string shards_map;  // the shard -> spare backend map; "" = no spare backends
  // host:port addresses serving the admin API, /metrics, /healthz and /readyz.
  std::vector<std::string> listen = {"127.0.0.1:8080"};
  // "<name> <rw|ro> <token>" lines; "" = no tokens (then only loopback addresses may be listened
  // on). docs/admin-api.md.
  std::string admin_tokens_file;
  size_t history_keep = 100;           // routing-map versions kept restorable
  std::string controller_id;           // default: the host name
  Millis resync_interval{30000};       // full reconcile even without a change: the safety net
  Millis haproxy_check_interval{200};  // `show info` per instance, to see a restart at once
  Millis remove_after{60000};          // a node gone from Consul this long is deleted from HAProxy
  LogLevel log_level = LogLevel::kInfo;
};

// Merges every source and validates. Errors are kInvalidArgument "<key>: <why>".
// `hostname` is the default controller_id.
Result<ControllerConfig> LoadControllerConfig(const ConfigSources& sources,
                                              const std::string& hostname);

// Every key a config may hold, for --help and docs.
const std::vector<std::string>& ControllerConfigKeys();

}  // namespace shardgate::controller
