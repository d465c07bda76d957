// Layered key = value configuration for the daemons: defaults < file < environment < flags, with
// typed key setters whose errors name the key. The agent and the controller share it.
#pragma once

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/duration.h"
#include "common/numbers.h"
#include "common/status.h"

namespace shardgate {

// The daemons' exit statuses: a configuration they refuse, and a failure while running.
inline constexpr int kExitConfig = 2;
inline constexpr int kExitRuntime = 1;

// Prints "invalid config: <message>" to stderr and returns kExitConfig, for main().
int ConfigError(const std::string& message);

// Raw key -> value, keys in snake_case.
using RawConfig = std::map<std::string, std::string>;

// What a loader may consult, injectable so tests touch neither the environment nor files.
struct ConfigSources {
  std::vector<std::string> args;  // argv[1..]
  std::function<std::optional<std::string>(const std::string& name)> getenv;
  std::function<Result<std::string>(const std::string& path)> read_file;
};

// The process's own argv, environment and files.
ConfigSources ProcessConfigSources(int argc, char** argv);

// Parses a config file: one `key = value` per line, `#` comments, blank lines ignored.
// Errors: kInvalidArgument "line <n>: ...".
Result<RawConfig> ParseConfigFile(const std::string& text);

// Parses `--key=value` / `--key value` (dashes or underscores), `--config <path>` included.
// Errors: kInvalidArgument naming the argument.
Result<RawConfig> ParseConfigFlags(const std::vector<std::string>& args);

// Merges file (from --config), environment (`<env_prefix><KEY>` for each of `keys`) and flags, in
// that order of precedence (flags win). Errors: kInvalidArgument "config: ..." for the file.
Result<RawConfig> MergeConfigSources(const ConfigSources& sources, std::string_view env_prefix,
                                     const std::vector<std::string>& keys);

// Splits "host:port" (port 0..65535); errors name `key`.
Result<std::pair<std::string, int>> ParseListen(const std::string& key, const std::string& value);

// Typed setters for a key table: each converts one value into a field of `Config` and returns
// an error saying what the value must be (the caller prefixes the key).
template <typename Config>
using KeySetter = std::function<Status(const std::string& value, Config& cfg)>;

template <typename T>
Status ParseBounded(const std::string& v, T min, T max, T* out) {
  T n{};
  if (!ParseInteger(v, &n)) return InvalidArgument("not a number: \"" + v + "\"");
  if (n < min || n > max) {
    return InvalidArgument("must be between " + std::to_string(min) + " and " +
                           std::to_string(max));
  }
  *out = n;
  return Status::Ok();
}

// Go's duration syntax, as Consul's own settings use it; kept to whole milliseconds.
template <typename Config>
KeySetter<Config> DurationKey(Millis min, std::function<Millis&(Config&)> field) {
  return [=](const std::string& v, Config& c) {
    Result<std::chrono::nanoseconds> d = ParseGoDuration(v);
    if (!d.ok()) return InvalidArgument("must be a duration like 250ms, 10s or 1m");
    Millis ms = std::chrono::duration_cast<Millis>(*d);
    if (ms < min) return InvalidArgument("must be at least " + std::to_string(min.count()) + "ms");
    field(c) = ms;
    return Status::Ok();
  };
}

// [A-Za-z0-9_.-]+: cluster, shard, node and service names.
bool IsConfigName(std::string_view v);

template <typename Config>
KeySetter<Config> NameKey(std::function<std::string&(Config&)> field) {
  return [=](const std::string& v, Config& c) {
    if (!IsConfigName(v)) return InvalidArgument("must match [A-Za-z0-9_.-]+");
    field(c) = v;
    return Status::Ok();
  };
}

template <typename Config>
KeySetter<Config> TextKey(std::function<std::string&(Config&)> field) {
  return [=](const std::string& v, Config& c) {
    field(c) = v;
    return Status::Ok();
  };
}

// "host:port" or "" (off).
template <typename Config>
KeySetter<Config> ListenKey(std::function<std::string&(Config&)> field) {
  return [=](const std::string& v, Config& c) {
    if (!v.empty()) {
      auto parsed = ParseListen("", v);
      if (!parsed.ok()) return InvalidArgument("must be host:port, e.g. 127.0.0.1:9187");
    }
    field(c) = v;
    return Status::Ok();
  };
}

// Builds a config from raw keys with a setter table; errors are "<key>: <why>".
template <typename Config>
Status ApplyKeys(const RawConfig& raw, const std::map<std::string, KeySetter<Config>>& setters,
                 Config& cfg) {
  for (const auto& [key, value] : raw) {
    auto it = setters.find(key);
    if (it == setters.end()) return InvalidArgument(key + ": unknown key");
    Status s = it->second(value, cfg);
    if (!s.ok()) return InvalidArgument(key + ": " + s.message());
  }
  return Status::Ok();
}

}  // namespace shardgate
