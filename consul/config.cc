// ClientConfig from the CONSUL_* environment variables, validated with messages naming them.
#include "consul/config.h"

#include <algorithm>
#include <cstdlib>

#include "common/file.h"

namespace shardgate::consul {
namespace {

constexpr const char* kDefaultAddress = "127.0.0.1:8500";

std::string Trim(std::string text) {
  const char* space = " \t\r\n";
  size_t begin = text.find_first_not_of(space);
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(space);
  return text.substr(begin, end - begin + 1);
}

// Go's strconv.ParseBool, which the Consul CLI uses for CONSUL_HTTP_SSL.
std::optional<bool> ParseGoBool(const std::string& text) {
  if (text == "1" || text == "t" || text == "T" || text == "true" || text == "TRUE" ||
      text == "True") {
    return true;
  }
  if (text == "0" || text == "f" || text == "F" || text == "false" || text == "FALSE" ||
      text == "False") {
    return false;
  }
  return std::nullopt;
}

Status CheckHostPort(const std::string& host_port) {
  if (host_port.empty()) return InvalidArgument("empty host");
  if (host_port.find_first_of("/?#@ ") != std::string::npos) {
    return InvalidArgument("expected host:port, got \"" + host_port + "\"");
  }
  size_t colon = host_port.rfind(':');
  if (colon == std::string::npos || host_port.back() == ']') return Status::Ok();
  std::string port = host_port.substr(colon + 1);
  bool digits = !port.empty() && port.size() <= 5 &&
                port.find_first_not_of("0123456789") == std::string::npos;
  if (!digits || std::stoi(port) < 1 || std::stoi(port) > 65535) {
    return InvalidArgument("invalid port \"" + port + "\"");
  }
  if (colon == 0) return InvalidArgument("empty host");
  return Status::Ok();
}

Status Prefixed(const char* variable, const Status& status) {
  return InvalidArgument(std::string(variable) + ": " + status.message());
}

// A token goes into an HTTP header: refuse control characters rather than send a broken request.
Status CheckToken(const std::string& token) {
  for (unsigned char c : token) {
    if (c < 0x20 || c == 0x7F) return InvalidArgument("token contains control characters");
  }
  return Status::Ok();
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  env.get = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  env.read_file = [](const std::string& path) { return ReadFile(path); };
  return env;
}

Result<std::string> NormalizeAddress(const std::string& address, bool https) {
  std::string scheme = https ? "https" : "http";
  std::string rest = address;
  if (size_t sep = address.find("://"); sep != std::string::npos) {
    scheme = address.substr(0, sep);
    rest = address.substr(sep + 3);
    if (scheme != "http" && scheme != "https") {
      return InvalidArgument("unsupported scheme \"" + scheme + "\" (use http:// or https://)");
    }
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  RETURN_IF_ERROR(CheckHostPort(rest));
  return scheme + "://" + rest;
}

Result<std::string> ReadTokenFile(const Environment& env, const std::string& path) {
  Result<std::string> content = env.read_file(path);
  if (!content.ok()) return InvalidArgument("cannot read token file " + path);
  std::string token = Trim(std::move(content).value());
  if (token.empty()) return InvalidArgument("token file " + path + " is empty");
  if (Status s = CheckToken(token); !s.ok()) return InvalidArgument(s.message() + " in " + path);
  return token;
}

Result<ClientConfig> ConfigFromEnvironment(const Environment& env) {
  ClientConfig config;
  bool https = false;
  if (std::optional<std::string> ssl = env.get("CONSUL_HTTP_SSL"); ssl && !ssl->empty()) {
    std::optional<bool> parsed = ParseGoBool(*ssl);
    if (!parsed)
      return InvalidArgument("CONSUL_HTTP_SSL: expected true or false, got \"" + *ssl + "\"");
    https = *parsed;
  }
  std::string address = env.get("CONSUL_HTTP_ADDR").value_or("");
  Result<std::string> normalized = NormalizeAddress(address.empty() ? kDefaultAddress : address,
                                                    https);
  if (!normalized.ok()) return Prefixed("CONSUL_HTTP_ADDR", normalized.status());
  config.address = std::move(normalized).value();

  if (std::optional<std::string> file = env.get("CONSUL_HTTP_TOKEN_FILE"); file && !file->empty()) {
    Result<std::string> token = ReadTokenFile(env, *file);
    if (!token.ok()) return Prefixed("CONSUL_HTTP_TOKEN_FILE", token.status());
    config.token = std::move(token).value();
  } else if (std::optional<std::string> token = env.get("CONSUL_HTTP_TOKEN")) {
    config.token = Trim(*token);
    if (Status s = CheckToken(config.token); !s.ok()) return Prefixed("CONSUL_HTTP_TOKEN", s);
  }

  if (std::optional<std::string> ca = env.get("CONSUL_CACERT"); ca && !ca->empty()) {
    if (!env.read_file(*ca).ok()) return InvalidArgument("CONSUL_CACERT: cannot read file " + *ca);
    config.ca_file = *ca;
  }
  return config;
}

Result<ClientConfig> DaemonClientConfig(const std::string& consul_address,
                                        std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(ClientConfig config, ConfigFromEnvironment());
  if (!consul_address.empty()) {
    auto address = NormalizeAddress(consul_address, /*https=*/false);
    if (!address.ok()) return InvalidArgument("consul_address: " + address.status().message());
    config.address = *address;
  }
  config.request_timeout = timeout;
  config.connect_timeout = std::min(config.connect_timeout, timeout);
  return config;
}

}  // namespace shardgate::consul
