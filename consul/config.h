// ClientConfig: where Consul is and how to authenticate, read from the standard CONSUL_*
// environment variables and validated up front.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "common/status.h"

namespace shardgate::consul {

// Thread-safety: a plain value.
struct ClientConfig {
  // scheme://host:port; "host:port" alone means http://. Unix sockets are not supported.
  std::string address = "http://127.0.0.1:8500";
  // ACL secret sent as X-Consul-Token; empty = none. A secret: never logged, never taken from argv.
  std::string token;
  std::string ca_file;  // PEM bundle for https
  std::chrono::milliseconds connect_timeout{2'000};
  // Budget of a non-blocking request; a blocking query gets wait + wait/16 + this.
  std::chrono::milliseconds request_timeout{10'000};
  std::optional<std::string> datacenter;  // sent as ?dc= on every request when set
};

// Lookups the environment reader needs, injectable so tests never touch the real environment.
struct Environment {
  std::function<std::optional<std::string>(const std::string& name)> get;
  std::function<Result<std::string>(const std::string& path)> read_file;
};

// The process environment and the real file system.
Environment ProcessEnvironment();

// Reads the variables the Consul CLI reads: CONSUL_HTTP_ADDR (default 127.0.0.1:8500),
// CONSUL_HTTP_SSL (https for a bare host:port), CONSUL_HTTP_TOKEN_FILE, CONSUL_HTTP_TOKEN (the
// file wins when both are set) and CONSUL_CACERT. Timeouts and datacenter keep their defaults.
// Errors: kInvalidArgument naming the variable, e.g. "CONSUL_HTTP_ADDR: unsupported scheme ...".
Result<ClientConfig> ConfigFromEnvironment(const Environment& env);
inline Result<ClientConfig> ConfigFromEnvironment() {
  return ConfigFromEnvironment(ProcessEnvironment());
}

// What a shardgate daemon talks to Consul with: the environment's settings (above), the
// `consul_address` config key's value when not empty, and `timeout` as the budget of a request
// that does not block (blocking queries add their wait). Errors name the variable or the key.
Result<ClientConfig> DaemonClientConfig(const std::string& consul_address,
                                        std::chrono::milliseconds timeout);

// Normalises an address to scheme://host:port. `https` forces https:// for a bare host:port.
// Errors: kInvalidArgument (message without a variable name; callers prefix it).
Result<std::string> NormalizeAddress(const std::string& address, bool https);

// Reads a token file, trimming surrounding whitespace. Errors: kInvalidArgument if unreadable
// or empty (the message names the path, never the content).
Result<std::string> ReadTokenFile(const Environment& env, const std::string& path);

}  // namespace shardgate::consul
