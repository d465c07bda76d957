// The JSON form of ConfigSpec read by `shardgate-haproxy config --spec`.
#include "haproxy/config_json.h"

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>

namespace shardgate::haproxy {
namespace {

using Json = nlohmann::json;
// One handler per known key; each reads the value into the spec or returns an error.
using Handlers = std::map<std::string, std::function<Status(const Json&, const std::string&)>>;

Status Walk(const Json& object, const std::string& where, const Handlers& handlers) {
  if (!object.is_object())
    return InvalidArgument((where.empty() ? "spec" : where) + " is not an object");
  for (const auto& [key, value] : object.items()) {
    std::string path = where.empty() ? key : where + "." + key;
    auto it = handlers.find(key);
    if (it == handlers.end()) return InvalidArgument("unknown key " + path);
    RETURN_IF_ERROR(it->second(value, path));
  }
  return Status::Ok();
}

auto String(std::string* out) {
  return [out](const Json& v, const std::string& path) -> Status {
    if (!v.is_string()) return InvalidArgument(path + " must be a string");
    *out = v.get<std::string>();
    return Status::Ok();
  };
}

auto Int(int* out) {
  return [out](const Json& v, const std::string& path) -> Status {
    if (!v.is_number_integer()) return InvalidArgument(path + " must be an integer");
    int64_t n = v.get<int64_t>();
    if (n < INT32_MIN || n > INT32_MAX) return InvalidArgument(path + " is out of range");
    *out = static_cast<int>(n);
    return Status::Ok();
  };
}

auto Bool(bool* out) {
  return [out](const Json& v, const std::string& path) -> Status {
    if (!v.is_boolean()) return InvalidArgument(path + " must be true or false");
    *out = v.get<bool>();
    return Status::Ok();
  };
}

// An array whose elements are read by `element(value, path, index)`.
template <typename T, typename Fn>
auto Array(std::vector<T>* out, Fn element) {
  return [out, element](const Json& v, const std::string& path) -> Status {
    if (!v.is_array()) return InvalidArgument(path + " must be an array");
    out->clear();
    for (size_t i = 0; i < v.size(); ++i) {
      out->emplace_back();
      RETURN_IF_ERROR(element(v[i], path + "[" + std::to_string(i) + "]", &out->back()));
    }
    return Status::Ok();
  };
}

Status ReadServer(const Json& v, const std::string& path, ServerSpec* server) {
  return Walk(v, path,
              {{"name", String(&server->name)},
               {"host", String(&server->host)},
               {"port", Int(&server->port)},
               {"backup", Bool(&server->backup)},
               {"weight", Int(&server->weight)}});
}

Status ReadShard(const Json& v, const std::string& path, ShardSpec* shard) {
  return Walk(v, path,
              {{"name", String(&shard->name)},
               {"rw", Array(&shard->rw, ReadServer)},
               {"ro", Array(&shard->ro, ReadServer)}});
}

Status ReadTls(const Json& v, const std::string& path, TlsSpec* tls) {
  return Walk(v, path,
              {{"cert_path", String(&tls->cert_path)},
               {"ca_file", String(&tls->ca_file)},
               {"verify", String(&tls->verify)},
               {"min_version", String(&tls->min_version)},
               {"ciphers", String(&tls->ciphers)},
               {"ciphersuites", String(&tls->ciphersuites)},
               {"require_rw", Bool(&tls->require_rw)},
               {"require_ro", Bool(&tls->require_ro)},
               {"socket_dir", String(&tls->socket_dir)}});
}

}  // namespace

Result<ConfigSpec> ParseConfigSpecJson(std::string_view text) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return InvalidArgument("spec is not valid JSON");
  ConfigSpec spec;
  int inspect_delay_ms = static_cast<int>(spec.inspect_delay.count());
  RETURN_IF_ERROR(Walk(doc, "",
                       {{"bind_host", String(&spec.bind_host)},
                        {"rw_port", Int(&spec.rw_port)},
                        {"ro_port", Int(&spec.ro_port)},
                        {"stats_port", Int(&spec.stats_port)},
                        {"socket_path", String(&spec.socket_path)},
                        {"lua_dir", String(&spec.lua_dir)},
                        {"ranges_map_path", String(&spec.ranges_map_path)},
                        {"cancel_map_path", String(&spec.cancel_map_path)},
                        {"shards_map_path", String(&spec.shards_map_path)},
                        {"spare_backends", Int(&spec.spare_backends)},
                        {"key_param", String(&spec.key_param)},
                        {"key_pattern", String(&spec.key_pattern)},
                        {"log_target", String(&spec.log_target)},
                        {"nbthread", Int(&spec.nbthread)},
                        {"inspect_delay_ms", Int(&inspect_delay_ms)},
                        {"shards", Array(&spec.shards, ReadShard)},
                        {"tls", [&spec](const Json& v, const std::string& path) {
                           return ReadTls(v, path, &spec.tls);
                         }}}));
  spec.inspect_delay = std::chrono::milliseconds(inspect_delay_ms);
  return spec;
}

}  // namespace shardgate::haproxy
