// Config file, flags and environment layering (see config_layers.h).
#include "common/config_layers.h"

#include <cstdio>
#include <cstdlib>

#include "common/file.h"
#include "common/flags.h"

namespace shardgate {
namespace {

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string::npos) return "";
  size_t e = s.find_last_not_of(" \t\r");
  return s.substr(b, e - b + 1);
}

}  // namespace

int ConfigError(const std::string& message) {
  std::fprintf(stderr, "invalid config: %s\n", message.c_str());
  return kExitConfig;
}

ConfigSources ProcessConfigSources(int argc, char** argv) {
  return ConfigSources{std::vector<std::string>(argv + 1, argv + argc),
                       [](const std::string& n) -> std::optional<std::string> {
                         const char* v = std::getenv(n.c_str());
                         return v ? std::optional<std::string>(v) : std::nullopt;
                       },
                       [](const std::string& path) { return ReadFile(path); }};
}

bool IsConfigName(std::string_view v) {
  return !v.empty() && std::all_of(v.begin(), v.end(), [](unsigned char ch) {
    return std::isalnum(ch) || ch == '_' || ch == '.' || ch == '-';
  });
}

Result<std::pair<std::string, int>> ParseListen(const std::string& key, const std::string& value) {
  size_t colon = value.rfind(':');
  int port = 0;
  if (colon == std::string::npos || colon == 0 ||
      !ParseBounded(value.substr(colon + 1), 0, 65535, &port).ok()) {
    return InvalidArgument(key + ": must be host:port, e.g. 127.0.0.1:9187");
  }
  return std::make_pair(value.substr(0, colon), port);
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

Result<RawConfig> ParseConfigFlags(const std::vector<std::string>& args) {
  // Every flag is a key (checked against the key table later), so none is declared here.
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

Result<RawConfig> MergeConfigSources(const ConfigSources& sources, std::string_view env_prefix,
                                     const std::vector<std::string>& keys) {
  ASSIGN_OR_RETURN(auto flags, ParseConfigFlags(sources.args));
  RawConfig merged;
  auto config_path = flags.find("config");
  if (config_path != flags.end()) {
    auto text = sources.read_file(config_path->second);
    if (!text.ok()) return InvalidArgument("config: cannot read " + config_path->second);
    auto file = ParseConfigFile(*text);
    if (!file.ok()) {
      return InvalidArgument("config: " + config_path->second + ": " + file.status().message());
    }
    merged = *file;
    flags.erase(config_path);
  }
  for (const std::string& key : keys) {
    std::string name = std::string(env_prefix) + key;
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char ch) { return std::toupper(ch); });
    if (auto v = sources.getenv(name)) merged[key] = *v;
  }
  for (auto& [key, value] : flags) merged[key] = value;
  return merged;
}

}  // namespace shardgate
