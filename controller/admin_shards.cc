// The shard view of the admin API (see admin_shards.h).
#include "controller/admin_shards.h"

#include <set>

#include "haproxy/runtime_client.h"
#include "model/node_status.h"

namespace shardgate::controller {
namespace {

nlohmann::json NodeJson(const model::NodeRecord& n) {
  return {{"node", n.node},
          {"address", n.address + ":" + std::to_string(n.port)},
          {"role", std::string(model::RoleName(n.role))},
          {"timeline", n.timeline},
          {"health", std::string(model::HealthName(n.health))},
          {"weight", n.weight},
          {"lag_bytes", n.lag_bytes}};
}

nlohmann::json HaproxyJson(const HaproxyServers& h, const std::string& shard,
                           const std::string& controller) {
  nlohmann::json servers = nlohmann::json::array();
  for (const haproxy::ServerStat& s : ServersOfShard(h, shard)) {
    servers.push_back({{"backend", s.backend},
                       {"server", s.server},
                       {"state", s.status},
                       {"weight", s.weight},
                       {"sessions", s.sessions}});
  }
  return {{"controller", controller},
          {"haproxy", h.haproxy},
          {"error", h.error},
          {"servers", std::move(servers)}};
}

}  // namespace

std::vector<haproxy::ServerStat> ServersOfShard(const HaproxyServers& h, const std::string& shard) {
  auto bound = h.spare_binding.find(shard);
  const std::string base = bound == h.spare_binding.end() ? shard : bound->second;
  std::vector<haproxy::ServerStat> out;
  for (const haproxy::ServerStat& s : h.servers) {
    if (s.backend == base + "_rw" || s.backend == base + "_ro") out.push_back(s);
  }
  return out;
}

nlohmann::json ShardsJson(const std::optional<std::vector<model::NodeRecord>>& nodes,
                          const std::vector<DesiredShard>& shards, const std::string& controller,
                          const std::vector<HaproxyServers>& haproxys) {
  std::set<std::string> names;
  if (nodes) {
    for (const model::NodeRecord& n : *nodes) names.insert(n.shard);
  }
  std::map<std::string, const DesiredShard*> desired;
  for (const DesiredShard& d : shards) {
    names.insert(d.shard);
    desired[d.shard] = &d;
  }
  nlohmann::json out = nlohmann::json::array();
  for (const std::string& name : names) {
    nlohmann::json node_list = nlohmann::json::array();
    if (nodes) {
      for (const model::NodeRecord& n : *nodes) {
        if (n.shard == name) node_list.push_back(NodeJson(n));
      }
    }
    const DesiredShard* d = desired.contains(name) ? desired[name] : nullptr;
    nlohmann::json hs = nlohmann::json::array();
    for (const HaproxyServers& h : haproxys) hs.push_back(HaproxyJson(h, name, controller));
    out.push_back({{"name", name},
                   {"healthy_primary",
                    d != nullptr && d->primary.has_value() && d->write_block == WriteBlock::kNone},
                   {"primary", d != nullptr && d->primary ? nlohmann::json(*d->primary) : nullptr},
                   {"write_block", d != nullptr ? std::string(WriteBlockName(d->write_block))
                                                : std::string("unknown")},
                   {"fenced", d != nullptr ? d->fenced : std::vector<std::string>{}},
                   {"nodes", std::move(node_list)},
                   {"haproxy", std::move(hs)}});
  }
  return {{"controller", controller}, {"consul_known", nodes.has_value()}, {"shards", out}};
}

std::vector<HaproxyServers> ReadHaproxyServers(const std::vector<std::string>& sockets,
                                               const std::string& shards_map,
                                               const SocketFactory& open) {
  std::vector<HaproxyServers> out;
  for (const std::string& address : sockets) {
    HaproxyServers h;
    h.haproxy = address;
    std::unique_ptr<haproxy::RuntimeSocket> socket = open(address);
    haproxy::RuntimeClient client(*socket);
    if (auto stats = client.ShowServerStats(); stats.ok()) {
      h.servers = std::move(*stats);
    } else {
      h.error = stats.status().ToString();
    }
    if (h.error.empty() && !shards_map.empty()) {
      if (auto entries = client.ShowMap(shards_map); entries.ok()) {
        for (auto& [shard, base] : *entries) h.spare_binding[shard] = base;
      } else {
        h.error = entries.status().ToString();
      }
    }
    out.push_back(std::move(h));
  }
  return out;
}

}  // namespace shardgate::controller
