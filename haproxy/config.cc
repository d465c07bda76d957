// ValidateConfigSpec and the 3-shard example spec.
#include "haproxy/config.h"

#include "haproxy/config_internal.h"

#include <set>

namespace shardgate::haproxy {
namespace {

bool IsName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsPort(int port) { return port > 0 && port <= 65535; }

Status ValidateServer(const ServerSpec& server, const std::string& where,
                      std::set<std::string>* names) {
  if (!IsName(server.name)) {
    return InvalidArgument(where + ".name '" + server.name + "' must match [A-Za-z0-9_.-]{1,64}");
  }
  if (!names->insert(server.name).second) {
    return InvalidArgument(where + ".name '" + server.name +
                           "' is used twice in the shard (a rw server is also added to the ro "
                           "backend as backup; do not list it in ro)");
  }
  if (!IsPlainWord(server.host))
    return InvalidArgument(where + ".host '" + server.host + "' is not a host");
  if (!IsPort(server.port))
    return InvalidArgument(where + ".port " + std::to_string(server.port) + " is outside 1..65535");
  if (server.weight < 0 || server.weight > 256) {
    return InvalidArgument(where + ".weight " + std::to_string(server.weight) +
                           " is outside 0..256");
  }
  return Status::Ok();
}

Status ValidateShard(const ShardSpec& shard, const std::string& where) {
  if (!IsName(shard.name)) {
    return InvalidArgument(where + ".name '" + shard.name + "' must match [A-Za-z0-9_.-]{1,64}");
  }
  if (shard.name == "shardgate") return InvalidArgument(where + ".name 'shardgate' is reserved");
  if (shard.name.rfind(kSpareBackendPrefix, 0) == 0) {
    return InvalidArgument(where + ".name '" + shard.name + "' starts with '" +
                           std::string(kSpareBackendPrefix) + "', reserved for spare backends");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < shard.rw.size(); ++i) {
    RETURN_IF_ERROR(ValidateServer(shard.rw[i], where + ".rw[" + std::to_string(i) + "]", &names));
  }
  for (size_t i = 0; i < shard.ro.size(); ++i) {
    RETURN_IF_ERROR(ValidateServer(shard.ro[i], where + ".ro[" + std::to_string(i) + "]", &names));
  }
  return Status::Ok();
}

Status ValidatePorts(const ConfigSpec& spec) {
  if (!IsPlainWord(spec.bind_host))
    return InvalidArgument("bind_host '" + spec.bind_host + "' is not a host");
  if (!IsPort(spec.rw_port))
    return InvalidArgument("rw_port " + std::to_string(spec.rw_port) + " is outside 1..65535");
  if (!IsPort(spec.ro_port))
    return InvalidArgument("ro_port " + std::to_string(spec.ro_port) + " is outside 1..65535");
  if (spec.rw_port == spec.ro_port) return InvalidArgument("ro_port equals rw_port");
  if (spec.stats_port != 0 && !IsPort(spec.stats_port)) {
    return InvalidArgument("stats_port " + std::to_string(spec.stats_port) +
                           " is outside 0..65535");
  }
  if (spec.stats_port == spec.rw_port || spec.stats_port == spec.ro_port) {
    return InvalidArgument("stats_port equals rw_port or ro_port");
  }
  return Status::Ok();
}

Status ValidateShardsMap(const ConfigSpec& spec) {
  if (spec.spare_backends < 0 || spec.spare_backends > kMaxSpareBackends) {
    return InvalidArgument("spare_backends " + std::to_string(spec.spare_backends) +
                           " is outside 0.." + std::to_string(kMaxSpareBackends));
  }
  if (spec.shards_map_path.empty()) {
    if (spec.spare_backends == 0) return Status::Ok();
    return InvalidArgument("spare_backends " + std::to_string(spec.spare_backends) +
                           " needs shards_map_path (the router finds a spare's shard there)");
  }
  RETURN_IF_ERROR(CheckAbsolutePath("shards_map_path", spec.shards_map_path));
  if (spec.shards_map_path == spec.ranges_map_path ||
      spec.shards_map_path == spec.cancel_map_path) {
    return InvalidArgument("shards_map_path equals ranges_map_path or cancel_map_path");
  }
  return Status::Ok();
}

Status ValidatePaths(const ConfigSpec& spec) {
  const std::pair<const char*, const std::string*> paths[] = {
      {"socket_path", &spec.socket_path},
      {"lua_dir", &spec.lua_dir},
      {"ranges_map_path", &spec.ranges_map_path},
      {"cancel_map_path", &spec.cancel_map_path},
  };
  for (const auto& [field, value] : paths) RETURN_IF_ERROR(CheckAbsolutePath(field, *value));
  if (spec.ranges_map_path == spec.cancel_map_path) {
    return InvalidArgument("cancel_map_path equals ranges_map_path");
  }
  RETURN_IF_ERROR(ValidateShardsMap(spec));
  if (spec.log_target != "stdout" && !IsPlainWord(spec.log_target)) {
    return InvalidArgument("log_target '" + spec.log_target +
                           "' is not 'stdout', a path or an address");
  }
  return Status::Ok();
}

Status ValidateRouter(const ConfigSpec& spec) {
  if (!spec.key_param.empty() && !IsName(spec.key_param)) {
    return InvalidArgument("key_param '" + spec.key_param + "' must match [A-Za-z0-9_.-]{1,64}");
  }
  // Written single-quoted: HAProxy keeps everything literal there except the quote itself.
  for (char c : spec.key_pattern) {
    if (c == '\'' || c == '\n' || c == '\r' || c == '\0') {
      return InvalidArgument("key_pattern must not contain a single quote or a line break");
    }
  }
  if (spec.nbthread < 0 || spec.nbthread > 64) {
    return InvalidArgument("nbthread " + std::to_string(spec.nbthread) + " is outside 0..64");
  }
  if (spec.inspect_delay.count() < 100 || spec.inspect_delay.count() > 60000) {
    return InvalidArgument("inspect_delay " + std::to_string(spec.inspect_delay.count()) +
                           "ms is outside 100ms..60s");
  }
  return Status::Ok();
}

}  // namespace

bool IsPlainWord(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= ' ' || c == '"' || c == '\'' || c == '\\' || c == '#' || c == '$' || c == 0x7f) {
      return false;
    }
  }
  return true;
}

Status CheckAbsolutePath(std::string_view field, const std::string& value) {
  if (IsPlainWord(value) && value.front() == '/') return Status::Ok();
  return InvalidArgument(std::string(field) + " '" + value +
                         "' must be an absolute path without blanks, quotes, '#' or '$'");
}

Status ValidateConfigSpec(const ConfigSpec& spec) {
  RETURN_IF_ERROR(ValidatePorts(spec));
  RETURN_IF_ERROR(ValidatePaths(spec));
  RETURN_IF_ERROR(ValidateRouter(spec));
  RETURN_IF_ERROR(ValidateTlsSpec(spec));
  // Spare backends alone are a valid start: the controller binds every shard to one.
  if (spec.shards.empty() && spec.spare_backends == 0) {
    return InvalidArgument("shards is empty and spare_backends is 0");
  }
  std::set<std::string> names;
  for (size_t i = 0; i < spec.shards.size(); ++i) {
    std::string where = "shards[" + std::to_string(i) + "]";
    RETURN_IF_ERROR(ValidateShard(spec.shards[i], where));
    if (!names.insert(spec.shards[i].name).second) {
      return InvalidArgument(where + ".name '" + spec.shards[i].name + "' is used twice");
    }
  }
  return Status::Ok();
}

std::string SpareBackendBase(int index) {
  return std::string(kSpareBackendPrefix) + std::to_string(index);
}

ConfigSpec ExampleConfigSpec() {
  ConfigSpec spec;
  spec.rw_port = 6432;
  spec.ro_port = 6433;
  spec.stats_port = 8404;
  spec.socket_path = "/run/haproxy/shardgate.sock";
  spec.lua_dir = "/usr/share/shardgate/lua";
  spec.ranges_map_path = "/var/lib/shardgate/shardgate_ranges.map";
  spec.cancel_map_path = "/var/lib/shardgate/shardgate_cancel.map";
  for (int i = 1; i <= 3; ++i) {
    const int base = 5400 + 10 * i;  // shard_1: primary 5411, replica 5412; shard_2: 5421...
    ShardSpec shard;
    shard.name = "shard_" + std::to_string(i);
    shard.rw.push_back({"n1", "127.0.0.1", base + 1});
    shard.ro.push_back({"n2", "127.0.0.1", base + 2});
    spec.shards.push_back(std::move(shard));
  }
  return spec;
}

}  // namespace shardgate::haproxy
