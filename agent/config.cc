// Agent configuration parsing and validation (see config.h; keys documented in docs/agent.md).
#include "agent/config.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace shardgate::agent {
namespace {

using Setter = KeySetter<AgentConfig>;

Status Why(std::string why) { return InvalidArgument(std::move(why)); }

Setter Int(int min, int max, int PolicyConfig::*field) {
  return [=](const std::string& v, AgentConfig& c) {
    return ParseBounded(v, min, max, &(c.policy.*field));
  };
}

Setter Fraction(double PolicyConfig::*field) {
  return [=](const std::string& v, AgentConfig& c) {
    double d = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
    if (ec != std::errc() || end != v.data() + v.size() || d <= 0 || d > 1) {
      return Why("must be a fraction in (0, 1]");
    }
    c.policy.*field = d;
    return Status::Ok();
  };
}

const auto Duration = DurationKey<AgentConfig>;
const auto Name = NameKey<AgentConfig>;
const auto Text = TextKey<AgentConfig>;

Setter Listen(std::function<std::string&(AgentConfig&)> field) { return ListenKey(field); }

const std::map<std::string, Setter>& Setters() {
  static const auto* table = new std::map<std::string, Setter>{
      {"cluster", Name([](AgentConfig& c) -> std::string& { return c.publish.cluster; })},
      {"shard", Name([](AgentConfig& c) -> std::string& { return c.publish.shard; })},
      {"node", Name([](AgentConfig& c) -> std::string& { return c.publish.node; })},
      {"service_name", Name([](AgentConfig& c) -> std::string& { return c.publish.service_name; })},
      {"address", Text([](AgentConfig& c) -> std::string& { return c.publish.address; })},
      {"port", [](const std::string& v, AgentConfig& c) { return ParseBounded(v, 1, 65535, &c.publish.port); }},
      {"pg_conninfo", Text([](AgentConfig& c) -> std::string& { return c.pg_conninfo; })},
      {"interval", Duration(Millis(100), [](AgentConfig& c) -> Millis& { return c.interval; })},
      {"probe_timeout", Duration(Millis(10), [](AgentConfig& c) -> Millis& { return c.probe_timeout; })},
      {"connect_timeout", Duration(Millis(10), [](AgentConfig& c) -> Millis& { return c.connect_timeout; })},
      {"rise", Int(1, 100, &PolicyConfig::rise)},
      {"fall", Int(1, 100, &PolicyConfig::fall)},
      {"lag_warn_bytes", [](const std::string& v, AgentConfig& c) {
         return ParseBounded<uint64_t>(v, 1, uint64_t{1} << 50, &c.policy.lag_warn_bytes); }},
      {"lag_warn", Duration(Millis(1), [](AgentConfig& c) -> Millis& { return c.policy.lag_warn; })},
      {"saturation_soft", Fraction(&PolicyConfig::saturation_soft)},
      {"saturation_warn", Fraction(&PolicyConfig::saturation_warn)},
      {"weight_buckets", Int(1, kMaxWeight, &PolicyConfig::weight_buckets)},
      {"pool_waiting_warn", [](const std::string& v, AgentConfig& c) {
         return ParseBounded<int64_t>(v, 1, 1'000'000, &c.policy.pool_waiting_warn); }},
      {"pool_maxwait_warn", Duration(Millis(1), [](AgentConfig& c) -> Millis& { return c.policy.pool_maxwait_warn; })},
      {"pgbouncer_conninfo", Text([](AgentConfig& c) -> std::string& { return c.pgbouncer_conninfo; })},
      {"pgbouncer_database", Text([](AgentConfig& c) -> std::string& { return c.pgbouncer_database; })},
      {"ttl", Duration(Millis(1000), [](AgentConfig& c) -> Millis& { return c.publish.ttl; })},
      {"heartbeat", Duration(Millis(100), [](AgentConfig& c) -> Millis& { return c.publish.heartbeat; })},
      {"deregister_after", Duration(Millis(1000), [](AgentConfig& c) -> Millis& { return c.publish.deregister_after; })},
      {"backoff_max", Duration(Millis(100), [](AgentConfig& c) -> Millis& { return c.publish.backoff_max; })},
      {"on_exit", [](const std::string& v, AgentConfig& c) {
         if (v != "critical" && v != "deregister") return Why("must be critical or deregister");
         c.publish.deregister_on_exit = v == "deregister";
         return Status::Ok(); }},
      {"consul_address", Text([](AgentConfig& c) -> std::string& { return c.consul_address; })},
      {"consul_timeout", Duration(Millis(50), [](AgentConfig& c) -> Millis& { return c.consul_timeout; })},
      {"metrics_listen", Listen([](AgentConfig& c) -> std::string& { return c.metrics_listen; })},
      {"agent_check_listen", Listen([](AgentConfig& c) -> std::string& { return c.agent_check_listen; })},
      {"log_level", [](const std::string& v, AgentConfig& c) {
         if (!ParseLogLevel(v, &c.log_level)) return Why("must be debug, info, warn or error");
         return Status::Ok(); }},
  };
  return *table;
}

// True when a conninfo string (key=value or URI form) carries a password. Parsed by libpq
// itself so every spelling it accepts is caught.
bool ConninfoHasPassword(const std::string& conninfo) {
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), nullptr);
  if (options == nullptr) return false;  // unparseable: the probe reports it when connecting
  bool found = false;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr && *o->val != '\0')
      found = true;
  }
  PQconninfoFree(options);
  return found;
}

// Checks that involve several keys, after every key is set.
Status CrossCheck(const RawConfig& raw, AgentConfig& c) {
  for (const char* key : {"cluster", "shard", "node", "pg_conninfo"}) {
    if (!raw.count(key)) return InvalidArgument(std::string(key) + ": required");
  }
  if (ConninfoHasPassword(c.pg_conninfo)) {
    return InvalidArgument(
        "pg_conninfo: must not contain a password (it would show in ps and logs); "
        "use PGPASSFILE or PGPASSWORD");
  }
  if (c.publish.service_name.empty()) c.publish.service_name = "shardgate-" + c.publish.cluster;
  if (c.publish.address.empty()) c.publish.address = "127.0.0.1";
  if (!raw.count("heartbeat")) c.publish.heartbeat = c.publish.ttl / 3;
  // A round must end before the next one starts: by default 80% of the interval.
  if (!raw.count("probe_timeout")) c.probe_timeout = c.interval * 4 / 5;
  if (!raw.count("connect_timeout")) c.connect_timeout = c.probe_timeout;
  if (c.publish.heartbeat >= c.publish.ttl) {
    return InvalidArgument("heartbeat: must be shorter than ttl (" +
                           std::to_string(c.publish.ttl.count()) + "ms)");
  }
  if (c.probe_timeout > c.interval) {
    return InvalidArgument("probe_timeout: must not exceed interval (" +
                           std::to_string(c.interval.count()) + "ms)");
  }
  if (c.policy.saturation_soft >= c.policy.saturation_warn) {
    return InvalidArgument("saturation_soft: must be below saturation_warn");
  }
  return Status::Ok();
}

}  // namespace

const std::vector<std::string>& ConfigKeys() {
  static const auto* keys = [] {
    auto* v = new std::vector<std::string>();
    for (const auto& [k, setter] : Setters()) v->push_back(k);
    return v;
  }();
  return *keys;
}

Result<AgentConfig> BuildConfig(const RawConfig& raw) {
  AgentConfig cfg;
  RETURN_IF_ERROR(ApplyKeys(raw, Setters(), cfg));
  RETURN_IF_ERROR(CrossCheck(raw, cfg));
  return cfg;
}

Result<AgentConfig> LoadConfig(const ConfigSources& sources) {
  ASSIGN_OR_RETURN(RawConfig merged, MergeConfigSources(sources, "SHARDGATE_AGENT_", ConfigKeys()));
  return BuildConfig(merged);
}

}  // namespace shardgate::agent
