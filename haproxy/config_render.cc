// RenderConfig / RenderFragment: the text of haproxy.cfg and of the shardgate fragment.
#include <string>

#include "haproxy/config.h"

namespace shardgate::haproxy {
namespace {

// Lua memory bound (MB): a 100k-segment compiled copy plus the map text being parsed stays far
// below it, and a runaway script cannot take the proxy's memory.
constexpr int kLuaMaxMemMb = 256;
// Lua run time per action (not time spent waiting for client bytes); rebuilding the compiled
// copy of a 100k-segment map is the longest legitimate run.
constexpr std::string_view kLuaSessionTimeout = "4s";

// Bound on a TLS client's handshake and startup (see TlsProxies).
constexpr std::string_view kTlsStartupTimeout = "60s";

// Fields after the connection summary are the router's variables (docs/interfaces.md §2).
constexpr std::string_view kLogFormat =
    "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts key=%[var(txn.shardgate_key)] "
    "shard=%[var(txn.shardgate_shard)] role=%[var(txn.shardgate_role)] "
    "err=%[var(txn.shardgate_error)] tls=%[ssl_fc_protocol]";

std::string Duration(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

void Line(std::string* out, std::string_view text) {
  out->append("  ");
  out->append(text);
  out->push_back('\n');
}

// Global lines shardgate needs. setenv and lua-prepend-path must precede lua-load: the script
// runs while the configuration is parsed and reads them then.
void GlobalShardgate(const ConfigSpec& spec, std::string* out) {
  Line(out, "stats socket " + spec.socket_path + " mode 600 level admin expose-fd listeners");
  Line(out, "tune.lua.maxmem " + std::to_string(kLuaMaxMemMb));
  Line(out, "tune.lua.session-timeout " + std::string(kLuaSessionTimeout));
  Line(out, "setenv SHARDGATE_RANGES_MAP " + spec.ranges_map_path);
  Line(out, "setenv SHARDGATE_CANCEL_MAP " + spec.cancel_map_path);
  if (!spec.shards_map_path.empty())
    Line(out, "setenv SHARDGATE_SHARDS_MAP " + spec.shards_map_path);
  if (!spec.key_param.empty()) Line(out, "setenv SHARDGATE_KEY_PARAM " + spec.key_param);
  // Single quotes: HAProxy expands nothing inside them, so Lua pattern characters stay literal.
  if (!spec.key_pattern.empty())
    Line(out, "setenv SHARDGATE_KEY_PATTERN '" + spec.key_pattern + "'");
  Line(out, "lua-prepend-path " + spec.lua_dir + "/?.lua");
  Line(out, "lua-load " + spec.lua_dir + "/shardgate_haproxy.lua");
}

void Defaults(std::string* out) {
  out->append(
      "\n# Long client/server timeouts: PostgreSQL sessions idle for long between queries.\n");
  out->append("defaults shardgate\n");
  Line(out, "mode tcp");
  Line(out, "log global");
  Line(out, "option dontlognull");
  Line(out, "log-format \"" + std::string(kLogFormat) + "\"");
  Line(out, "timeout connect 2s");
  Line(out, "timeout client 1h");
  Line(out, "timeout server 1h");
  // Once a session is established (no analyzer left), tunnel replaces client and server: the
  // TLS frontend's short client timeout then no longer applies.
  Line(out, "timeout tunnel 1h");
  Line(out, "timeout client-fin 30s");
  Line(out, "timeout server-fin 30s");
  Line(out, "timeout check 2s");
}

// The rules after the bind lines; their order is the contract of docs/interfaces.md §2. The
// final reject catches every connection the Lua did not route (error answered, Lua error, or
// inspect-delay expired).
void RouteRules(const std::string& route_argument, std::string* out) {
  Line(out, "tcp-request content lua.shardgate_route " + route_argument);
  Line(
      out,
      "tcp-request content set-dst var(txn.shardgate_cancel_addr) if { var(txn.shardgate_cancel_addr) -m found }");
  Line(
      out,
      "tcp-request content set-dst-port var(txn.shardgate_cancel_port) if { var(txn.shardgate_cancel_port) -m found }");
  Line(out, "tcp-request content reject unless { var(txn.shardgate_backend) -m found }");
}

// The router's argument: the role, and what it does with TLS on this frontend (docs/router.md).
std::string PublicRouteArgument(const ConfigSpec& spec, std::string_view role) {
  if (!spec.tls.enabled()) return std::string(role);
  bool required = role == "rw" ? spec.tls.require_rw : spec.tls.require_ro;
  return std::string(role) + (required ? "/tls-required" : "/tls");
}

void Frontend(const ConfigSpec& spec, std::string_view role, int port, std::string* out) {
  out->append("\nfrontend shardgate_" + std::string(role) + "\n");
  Line(out, "bind " + spec.bind_host + ":" + std::to_string(port));
  Line(out, "tcp-request inspect-delay " + Duration(spec.inspect_delay));
  RouteRules(PublicRouteArgument(spec, role), out);
  if (spec.tls.enabled()) {
    // The internal frontend logs a handed-over session, with its key, shard and TLS version.
    Line(out,
         "tcp-request content set-log-level silent if { var(txn.shardgate_tls_handoff) -m found }");
  }
  Line(out, "use_backend %[var(txn.shardgate_backend)]");
}

// `ssl` options of the internal binds: certificate, ALPN, versions, ciphers, client certificates.
std::string SslBindOptions(const TlsSpec& tls) {
  std::string options = "ssl crt " + tls.cert_path + " alpn postgresql ssl-min-ver " +
                        tls.min_version;
  if (!tls.ciphers.empty()) options += " ciphers " + tls.ciphers;
  if (!tls.ciphersuites.empty()) options += " ciphersuites " + tls.ciphersuites;
  if (!tls.ca_file.empty()) options += " ca-file " + tls.ca_file + " verify " + tls.verify;
  return options;
}

// TLS for the public frontend of `role`: the router answers 'S' (or sees a ClientHello) and hands
// the still-encrypted stream to <frontend>_to_tls[_direct]; the internal frontend
// shardgate_<role>_tls terminates TLS on those Unix sockets (PROXY v2 keeps the client's address)
// and runs the router again on the decrypted startup.
void TlsProxies(const ConfigSpec& spec, std::string_view role, int port, std::string* out) {
  const std::string frontend = "shardgate_" + std::string(role);
  const std::string negotiated = TlsHandoffSocket(spec, port, /*direct=*/false);
  const std::string direct = TlsHandoffSocket(spec, port, /*direct=*/true);
  out->append("\n# TLS hand-off: " + frontend + " answered 'S' to an SSLRequest (or saw a TLS\n");
  out->append("# ClientHello first: PostgreSQL 17 direct TLS); " + frontend + "_tls decrypts.\n");
  out->append("backend " + frontend + "_to_tls\n");
  Line(out, "server tls unix@" + negotiated + " send-proxy-v2");
  out->append("\nbackend " + frontend + "_to_tls_direct\n");
  Line(out, "server tls unix@" + direct + " send-proxy-v2");
  out->append("\nfrontend " + frontend + "_tls\n");
  // HAProxy 2.6 bounds a TLS handshake with `timeout client` only: this one bounds the handshake
  // and the startup until the session is established, as PostgreSQL's authentication_timeout
  // (60 s) does; the defaults' tunnel timeout governs the session after that.
  Line(out, "timeout client " + std::string(kTlsStartupTimeout));
  const std::string options = " mode 600 accept-proxy " + SslBindOptions(spec.tls);
  // The router tells the binds apart by name: direct TLS must have ALPN "postgresql".
  Line(out, "bind unix@" + negotiated + options + " name negotiated");
  Line(out, "bind unix@" + direct + options + " name direct");
  Line(out, "tcp-request inspect-delay " + Duration(spec.inspect_delay));
  RouteRules(std::string(role) + "/in-tls", out);
  Line(out, "use_backend %[var(txn.shardgate_backend)]");
}

// Its own defaults: HTTP, short timeouts, not logged (scrapes would drown the connection log).
void StatsFrontend(const ConfigSpec& spec, std::string* out) {
  out->append("\ndefaults shardgate_http\n");
  Line(out, "mode http");
  Line(out, "timeout connect 2s");
  Line(out, "timeout client 30s");
  Line(out, "timeout server 30s");
  Line(out, "timeout http-request 10s");
  out->append("\nfrontend shardgate_stats\n");
  Line(out, "bind " + spec.bind_host + ":" + std::to_string(spec.stats_port));
  Line(out, "http-request use-service prometheus-exporter if { path /metrics }");
  Line(out, "stats enable");
  Line(out, "stats uri /stats");
  Line(out, "stats refresh 10s");
}

void CancelBackend(std::string* out) {
  out->append(
      "\n# CancelRequest: the frontend sets the destination from the recorded BackendKeyData.\n");
  out->append("backend shardgate_cancel\n");
  Line(out, "server cancel 0.0.0.0:0");
}

void Server(const ServerSpec& server, bool backup, std::string* out) {
  std::string line = "server " + server.name + " " + server.host + ":" +
                     std::to_string(server.port) + " weight " + std::to_string(server.weight);
  if (backup) line += " backup";
  Line(out, line + " check inter 1s fall 2 rise 2");
}

// leastconn: dynamic, so the controller can add servers at run time, and fair for long sessions.
void ShardBackend(const ConfigSpec& spec, const ShardSpec& shard, bool ro, std::string* out) {
  out->append("\nbackend " + shard.name + (ro ? "_ro" : "_rw") + "\n");
  Line(out, "balance leastconn");
  Line(out, "tcp-response inspect-delay " + Duration(spec.inspect_delay));
  Line(out, "tcp-response content lua.shardgate_track if { res.len gt 0 }");
  if (!ro) {
    for (const ServerSpec& s : shard.rw) Server(s, s.backup, out);
    return;
  }
  for (const ServerSpec& s : shard.ro) Server(s, s.backup, out);
  // The primary serves reads only when no replica is up.
  for (const ServerSpec& s : shard.rw) Server(s, true, out);
}

void Proxies(const ConfigSpec& spec, std::string* out) {
  Frontend(spec, "rw", spec.rw_port, out);
  Frontend(spec, "ro", spec.ro_port, out);
  if (spec.tls.enabled()) {
    TlsProxies(spec, "rw", spec.rw_port, out);
    TlsProxies(spec, "ro", spec.ro_port, out);
  }
  CancelBackend(out);
  for (const ShardSpec& shard : spec.shards) {
    ShardBackend(spec, shard, false, out);
    ShardBackend(spec, shard, true, out);
  }
  if (spec.spare_backends > 0) {
    out->append("\n# Spare backends: a shard added at run time is bound to one in the shards map.");
  }
  for (int i = 1; i <= spec.spare_backends; ++i) {
    ShardSpec spare;
    spare.name = SpareBackendBase(i);
    ShardBackend(spec, spare, false, out);
    ShardBackend(spec, spare, true, out);
  }
}

}  // namespace

std::string RenderConfig(const ConfigSpec& spec) {
  std::string out =
      "# haproxy.cfg for shardgate, rendered by `shardgate-haproxy config`: re-render, do not edit.\n"
      "global\n";
  if (spec.log_target == "stdout") {
    Line(&out, "log stdout format raw local0");
  } else {
    Line(&out, "log " + spec.log_target + " local0");
  }
  if (spec.nbthread > 0) Line(&out, "nbthread " + std::to_string(spec.nbthread));
  GlobalShardgate(spec, &out);
  Defaults(&out);
  Proxies(spec, &out);
  if (spec.stats_port > 0) StatsFrontend(spec, &out);
  return out;
}

std::string RenderFragment(const ConfigSpec& spec) {
  std::string out =
      "# shardgate fragment, rendered by `shardgate-haproxy config --fragment`: re-render, do not edit.\n"
      "# Load it after your configuration: haproxy -f haproxy.cfg -f shardgate.cfg\n"
      "# (its `defaults shardgate` section applies to every proxy that follows it).\n"
      "global\n";
  GlobalShardgate(spec, &out);
  Defaults(&out);
  Proxies(spec, &out);
  return out;
}

}  // namespace shardgate::haproxy
