// Agent configuration parsing and validation (see config.h; keys documented in docs/agent.md).
#include "agent/config.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/duration.h"
#include "common/flags.h"
#include "common/numbers.h"

namespace shardgate::agent {
namespace {

using Setter = std::function<Status(const std::string& value, AgentConfig& cfg)>;

Status Why(std::string why) { return InvalidArgument(std::move(why)); }

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

template <typename T>
Status ParseNumber(const std::string& v, T min, T max, T* out) {
  T n{};
  if (!ParseInteger(v, &n)) return Why("not a number: \"" + v + "\"");
  if (n < min || n > max) {
    return Why("must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  *out = n;
  return Status::Ok();
}

Setter Int(int min, int max, int PolicyConfig::*field) {
  return [=](const std::string& v, AgentConfig& c) {
    return ParseNumber(v, min, max, &(c.policy.*field));
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

// Go's duration syntax, as Consul's own settings use it; kept to whole milliseconds.
Setter Duration(Millis min, std::function<Millis&(AgentConfig&)> field) {
  return [=](const std::string& v, AgentConfig& c) {
    Result<std::chrono::nanoseconds> d = ParseGoDuration(v);
    if (!d.ok()) return Why("must be a duration like 250ms, 10s or 1m");
    Millis ms = std::chrono::duration_cast<Millis>(*d);
    if (ms < min) return Why("must be at least " + std::to_string(min.count()) + "ms");
    field(c) = ms;
    return Status::Ok();
  };
}

Setter Name(std::function<std::string&(AgentConfig&)> field) {
  return [=](const std::string& v, AgentConfig& c) {
    bool ok = !v.empty() && std::all_of(v.begin(), v.end(), [](unsigned char ch) {
      return std::isalnum(ch) || ch == '_' || ch == '.' || ch == '-';
    });
    if (!ok) return Why("must match [A-Za-z0-9_.-]+");
    field(c) = v;
    return Status::Ok();
  };
}

Setter Text(std::function<std::string&(AgentConfig&)> field) {
  return [=](const std::string& v, AgentConfig& c) {
    field(c) = v;
    return Status::Ok();
  };
}

Setter Listen(std::string key, std::function<std::string&(AgentConfig&)> field) {
  return [=](const std::string& v, AgentConfig& c) {
    if (!v.empty()) {
      auto parsed = ParseListen(key, v);
      if (!parsed.ok()) return Why(parsed.status().message().substr(key.size() + 2));
    }
    field(c) = v;
    return Status::Ok();
  };
}

const std::map<std::string, Setter>& Setters() {
  static const auto* table = new std::map<std::string, Setter>{
      {"cluster", Name([](AgentConfig& c) -> std::string& { return c.publish.cluster; })},
      {"shard", Name([](AgentConfig& c) -> std::string& { return c.publish.shard; })},
      {"node", Name([](AgentConfig& c) -> std::string& { return c.publish.node; })},
      {"service_name", Name([](AgentConfig& c) -> std::string& { return c.publish.service_name; })},
      {"address", Text([](AgentConfig& c) -> std::string& { return c.publish.address; })},
      {"port", [](const std::string& v, AgentConfig& c) { return ParseNumber(v, 1, 65535, &c.publish.port); }},
      {"pg_conninfo", Text([](AgentConfig& c) -> std::string& { return c.pg_conninfo; })},
      {"interval", Duration(Millis(100), [](AgentConfig& c) -> Millis& { return c.interval; })},
      {"probe_timeout", Duration(Millis(10), [](AgentConfig& c) -> Millis& { return c.probe_timeout; })},
      {"connect_timeout", Duration(Millis(10), [](AgentConfig& c) -> Millis& { return c.connect_timeout; })},
      {"rise", Int(1, 100, &PolicyConfig::rise)},
      {"fall", Int(1, 100, &PolicyConfig::fall)},
      {"lag_warn_bytes", [](const std::string& v, AgentConfig& c) {
         return ParseNumber<uint64_t>(v, 1, uint64_t{1} << 50, &c.policy.lag_warn_bytes); }},
      {"lag_warn", Duration(Millis(1), [](AgentConfig& c) -> Millis& { return c.policy.lag_warn; })},
      {"saturation_soft", Fraction(&PolicyConfig::saturation_soft)},
      {"saturation_warn", Fraction(&PolicyConfig::saturation_warn)},
      {"weight_buckets", Int(1, kMaxWeight, &PolicyConfig::weight_buckets)},
      {"pool_waiting_warn", [](const std::string& v, AgentConfig& c) {
         return ParseNumber<int64_t>(v, 1, 1'000'000, &c.policy.pool_waiting_warn); }},
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
      {"metrics_listen", Listen("metrics_listen", [](AgentConfig& c) -> std::string& { return c.metrics_listen; })},
      {"agent_check_listen", Listen("agent_check_listen", [](AgentConfig& c) -> std::string& { return c.agent_check_listen; })},
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

Result<std::pair<std::string, int>> ParseListen(const std::string& key, const std::string& value) {
  size_t colon = value.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !ParseNumber(value.substr(colon + 1), 0, 65535, &port).ok()) {
    return InvalidArgument(key + ": must be host:port, e.g. 127.0.0.1:9187");
  }
  return std::make_pair(value.substr(0, colon), port);
}

const std::vector<std::string>& ConfigKeys() {
  static const auto* keys = [] {
    auto* v = new std::vector<std::string>();
    for (const auto& [k, setter] : Setters()) v->push_back(k);
    return v;
  }();
  return *keys;
}

Result<RawConfig> ParseConfigFile(const std::string& text) {
  RawConfig raw;
  size_t pos = 0;
  for (int line_no = 1; pos <= text.size(); ++line_no) {
    size_t nl = text.find('\n', pos);
    std::string line = Trim(
        text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
    pos = nl == std::string::npos ? text.size() + 1 : nl + 1;
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string::npos || Trim(line.substr(0, eq)).empty()) {
      return InvalidArgument("line " + std::to_string(line_no) + ": expected key = value");
    }
    raw[Trim(line.substr(0, eq))] = Trim(line.substr(eq + 1));
  }
  return raw;
}

Result<RawConfig> ParseFlags(const std::vector<std::string>& args) {
  // Every flag is a key (checked by BuildConfig), so none is declared here.
  ASSIGN_OR_RETURN(auto parsed, FlagSet().AllowUndeclared().Parse(args));
  if (!parsed.positional.empty()) {
    return InvalidArgument(parsed.positional.front() + ": expected --key=value");
  }
  RawConfig raw;
  for (auto [key, value] : parsed.flags) {
    std::replace(key.begin(), key.end(), '-', '_');
    raw[key] = value;
  }
  return raw;
}

Result<AgentConfig> BuildConfig(const RawConfig& raw) {
  AgentConfig cfg;
  for (const auto& [key, value] : raw) {
    auto it = Setters().find(key);
    if (it == Setters().end()) return InvalidArgument(key + ": unknown key");
    Status s = it->second(value, cfg);
    if (!s.ok()) return InvalidArgument(key + ": " + s.message());
  }
  RETURN_IF_ERROR(CrossCheck(raw, cfg));
  return cfg;
}

Result<AgentConfig> LoadConfig(const ConfigSources& sources) {
  ASSIGN_OR_RETURN(auto flags, ParseFlags(sources.args));
  RawConfig merged;
  auto config_path = flags.find("config");
  if (config_path != flags.end()) {
    auto text = sources.read_file(config_path->second);
    if (!text.ok()) return InvalidArgument("config: cannot read " + config_path->second);
    auto file = ParseConfigFile(*text);
    if (!file.ok())
      return InvalidArgument("config: " + config_path->second + ": " + file.status().message());
    merged = *file;
    flags.erase(config_path);
  }
  for (const std::string& key : ConfigKeys()) {
    std::string name = "SHARDGATE_AGENT_" + key;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
    if (auto v = sources.getenv(name)) merged[key] = *v;
  }
  for (auto& [key, value] : flags) merged[key] = value;
  return BuildConfig(merged);
}

}  // namespace shardgate::agent
