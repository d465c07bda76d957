// GET /api/v1/shards: every shard with its nodes as Consul reports them and what each HAProxy this
// controller manages has for them (server state, weight, open sessions).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "controller/desired_state.h"
#include "haproxy/runtime_socket.h"
#include "haproxy/server_stats.h"
#include "model/node_record.h"

namespace shardgate::controller {

// One HAProxy's servers as read just now.
struct HaproxyServers {
  std::string haproxy;  // its stats socket address
  std::string error;    // why it could not be read ("" when it was)
  std::vector<haproxy::ServerStat> servers;
  std::map<std::string, std::string> spare_binding;  // shard -> spare slot base (shards map)
};

// The servers of `shard` in one HAProxy: those of "<shard>_rw"/"<shard>_ro", or of the spare
// slot's backends when the shards map binds the shard to one.
std::vector<haproxy::ServerStat> ServersOfShard(const HaproxyServers& h, const std::string& shard);

// {"controller": id, "shards": [{"name", "healthy_primary", "primary", "write_block", "nodes":
// [...], "haproxy": [{"controller", "haproxy", "error", "servers": [...]}]}]}. Shards are those
// Consul has nodes for or the last round computed, sorted by name. `nodes` none: Consul has not
// answered yet ("consul_known": false).
nlohmann::json ShardsJson(const std::optional<std::vector<model::NodeRecord>>& nodes,
                          const std::vector<DesiredShard>& shards, const std::string& controller,
                          const std::vector<HaproxyServers>& haproxys);

// Opens a runtime-API connection to a stats socket address.
using SocketFactory = std::function<std::unique_ptr<haproxy::RuntimeSocket>(const std::string&)>;

// Reads `show stat` (and the shards map when `shards_map` is set) from every socket; an HAProxy
// that cannot be read is reported with its error, never skipped.
std::vector<HaproxyServers> ReadHaproxyServers(const std::vector<std::string>& sockets,
                                               const std::string& shards_map,
                                               const SocketFactory& open);

}  // namespace shardgate::controller
