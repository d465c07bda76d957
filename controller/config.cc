// Controller configuration parsing and validation (see config.h).
#include "controller/config.h"

#include <map>

namespace shardgate::controller {
namespace {

using Setter = KeySetter<ControllerConfig>;
using Field = std::function<std::string&(ControllerConfig&)>;
using DurationField = std::function<Millis&(ControllerConfig&)>;

using ListField = std::function<std::vector<std::string>&(ControllerConfig&)>;

// A comma-separated list of `what`, each item checked by `check` (which may be empty).
Setter ListKey(std::string what, ListField field,
               std::function<Status(const std::string&)> check = nullptr) {
  return [what = std::move(what), field = std::move(field),
          check = std::move(check)](const std::string& v, ControllerConfig& c) {
    std::vector<std::string> items;
    size_t start = 0;
    while (start <= v.size()) {
      size_t comma = v.find(',', start);
      std::string item = v.substr(start,
                                  comma == std::string::npos ? std::string::npos : comma - start);
      if (item.empty()) return InvalidArgument("must be a comma-separated list of " + what);
      if (check) RETURN_IF_ERROR(check(item));
      items.push_back(item);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    field(c) = std::move(items);
    return Status::Ok();
  };
}

const std::map<std::string, Setter>& Setters() {
  static const auto* table = new std::map<std::string, Setter>{
      {"cluster", NameKey<ControllerConfig>(Field([](auto& c) -> auto& { return c.cluster; }))},
      {"service_name",
       NameKey<ControllerConfig>(Field([](auto& c) -> auto& { return c.service_name; }))},
      {"consul_address",
       TextKey<ControllerConfig>(Field([](auto& c) -> auto& { return c.consul_address; }))},
      {"consul_datacenter",
       NameKey<ControllerConfig>(Field([](auto& c) -> auto& { return c.consul_datacenter; }))},
      {"consul_wait", DurationKey<ControllerConfig>(
                          Millis(1000), DurationField([](auto& c) -> auto& { return c.consul_wait; }))},
      {"consul_timeout",
       DurationKey<ControllerConfig>(Millis(50),
                                     DurationField([](auto& c) -> auto& { return c.consul_timeout; }))},
      {"haproxy_sockets",
       ListKey("stats sockets", ListField([](auto& c) -> auto& { return c.haproxy_sockets; }))},
      {"haproxy_timeout",
       DurationKey<ControllerConfig>(Millis(10),
                                     DurationField([](auto& c) -> auto& { return c.haproxy_timeout; }))},
      {"ranges_map", TextKey<ControllerConfig>(Field([](auto& c) -> auto& { return c.ranges_map; }))},
      {"shards_map", TextKey<ControllerConfig>(Field([](auto& c) -> auto& { return c.shards_map; }))},
      {"listen", ListKey("host:port addresses",
                         ListField([](auto& c) -> auto& { return c.listen; }),
                         [](const std::string& item) {
                           return ParseListen("", item).ok()
                                      ? Status::Ok()
                                      : InvalidArgument("\"" + item +
                                                        "\" is not host:port, e.g. 127.0.0.1:8080");
                         })},
      {"admin_tokens_file",
       TextKey<ControllerConfig>(Field([](auto& c) -> auto& { return c.admin_tokens_file; }))},
      {"history_keep",
       [](const std::string& v, ControllerConfig& c) {
         return ParseBounded<size_t>(v, 1, 10000, &c.history_keep);
       }},
      {"controller_id",
       NameKey<ControllerConfig>(Field([](auto& c) -> auto& { return c.controller_id; }))},
      {"resync_interval",
       DurationKey<ControllerConfig>(Millis(1000),
                                     DurationField([](auto& c) -> auto& { return c.resync_interval; }))},
      {"haproxy_check_interval",
       DurationKey<ControllerConfig>(
           Millis(10), DurationField([](auto& c) -> auto& { return c.haproxy_check_interval; }))},
      {"remove_after",
       DurationKey<ControllerConfig>(Millis(0),
                                     DurationField([](auto& c) -> auto& { return c.remove_after; }))},
      {"log_level",
       [](const std::string& v, ControllerConfig& c) {
         if (!ParseLogLevel(v, &c.log_level)) {
           return InvalidArgument("must be debug, info, warn or error");
         }
         return Status::Ok();
       }},
  };
  return *table;
}

// Checks that involve several keys or defaults that depend on others.
Status CrossCheck(const RawConfig& raw, ControllerConfig& c, const std::string& hostname) {
  for (const char* key : {"cluster", "haproxy_sockets", "ranges_map"}) {
    if (!raw.count(key) || raw.at(key).empty()) {
      return InvalidArgument(std::string(key) + ": required");
    }
  }
  if (c.service_name.empty()) c.service_name = "shardgate-" + c.cluster;
  if (c.controller_id.empty()) {
    if (!IsConfigName(hostname)) {
      return InvalidArgument("controller_id: required (the host name \"" + hostname +
                             "\" is not a valid id)");
    }
    c.controller_id = hostname;
  }
  if (c.haproxy_check_interval > c.resync_interval) {
    return InvalidArgument("haproxy_check_interval: must not exceed resync_interval");
  }
  return Status::Ok();
}

}  // namespace

const std::vector<std::string>& ControllerConfigKeys() {
  static const auto* keys = [] {
    auto* v = new std::vector<std::string>();
    for (const auto& [k, setter] : Setters()) v->push_back(k);
    return v;
  }();
  return *keys;
}

Result<ControllerConfig> LoadControllerConfig(const ConfigSources& sources,
                                              const std::string& hostname) {
  ASSIGN_OR_RETURN(RawConfig raw,
                   MergeConfigSources(sources, "SHARDGATE_CONTROLLER_", ControllerConfigKeys()));
  ControllerConfig cfg;
  RETURN_IF_ERROR(ApplyKeys(raw, Setters(), cfg));
  RETURN_IF_ERROR(CrossCheck(raw, cfg, hostname));
  return cfg;
}

}  // namespace shardgate::controller
