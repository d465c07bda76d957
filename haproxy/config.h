// Rendering of the HAProxy configuration for N shards (complete file and the shardgate fragment).
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace shardgate::haproxy {

struct ServerSpec {
  std::string name;
  std::string host;
  int port = 0;
  bool backup = false;
  int weight = 100;
};

// A shard's servers: rw holds the primary; ro the replicas (the primary is added as backup).
struct ShardSpec {
  std::string name;
  std::vector<ServerSpec> rw;
  std::vector<ServerSpec> ro;
};

// TLS for clients at the router (docs/tls.md). The public frontends stay plain TCP: the router
// answers an SSLRequest with 'S' (or sees a TLS ClientHello as the first bytes: PostgreSQL 17
// direct TLS) and hands the stream over a Unix socket (PROXY v2) to an internal frontend that
// terminates TLS and runs the router on the decrypted startup. Off while cert_path is empty.
struct TlsSpec {
  std::string cert_path;  // PEM: certificate chain and private key (HAProxy `crt`)
  std::string ca_file;    // CA bundle client certificates are verified against; "" = none asked
  std::string verify = "none";          // client certificates: none | optional | required
  std::string min_version = "TLSv1.2";  // TLSv1.2 | TLSv1.3
  std::string ciphers;                  // TLS <= 1.2 cipher list; "" = HAProxy's default
  std::string ciphersuites;             // TLS 1.3 suites; "" = HAProxy's default
  // Refuse a clear-text StartupMessage on that frontend with SQLSTATE 28000, as PostgreSQL's
  // `hostssl` does. CancelRequests are still routed in clear text (libpq before 17 sends them so).
  bool require_rw = false;
  bool require_ro = false;
  // Directory of the hand-off sockets (<dir>/shardgate-<port>-tls[-direct].sock, mode 600);
  // "" = the stats socket's directory.
  std::string socket_dir;

  bool enabled() const { return !cert_path.empty(); }
};

struct ConfigSpec {
  std::string bind_host = "127.0.0.1";
  int rw_port = 0;
  int ro_port = 0;
  int stats_port = 0;  // HTTP: Prometheus exporter at /metrics and stats page at /stats; 0 = none
  std::string socket_path;  // stats socket, mode 600 level admin
  std::string lua_dir;      // <repo>/lua
  std::string ranges_map_path;
  std::string cancel_map_path;
  // Shard -> backend base bindings the router reads for shards without static backends
  // (docs/interfaces.md); "" = none.
  std::string shards_map_path;
  std::string key_param;    // empty = router default
  std::string key_pattern;  // empty = router default
  std::string log_target =
      "stdout";      // "stdout" -> `log stdout format raw local0`; else a path/addr
  int nbthread = 0;  // 0 = HAProxy default
  std::chrono::milliseconds inspect_delay{5000};
  std::vector<ShardSpec> shards;
  // Backend pairs shardgate_spare_<i>_rw/_ro (i = 1..N) rendered without servers, so that a shard
  // added at run time can be bound to one (HAProxy 2.6 cannot create backends). 0..64; more
  // than 0 needs shards_map_path.
  int spare_backends = 0;
  TlsSpec tls;
};

// Spare backend pair i is "<kSpareBackendPrefix><i>_rw" / "_ro"; shard names may not start so.
inline constexpr std::string_view kSpareBackendPrefix = "shardgate_spare_";
inline constexpr int kMaxSpareBackends = 64;

// "shardgate_spare_<index>": the base name of spare backend pair `index` (1-based).
std::string SpareBackendBase(int index);

// The hand-off socket of the frontend listening on `port`: "<dir>/shardgate-<port>-tls.sock", or
// "...-tls-direct.sock" for direct TLS (PostgreSQL 17 `sslnegotiation=direct`).
// REQUIRES: spec.tls.enabled().
std::string TlsHandoffSocket(const ConfigSpec& spec, int port, bool direct);

// Checks every field; the error names the offending field (e.g. "shards[1].rw[0].port").
Status ValidateConfigSpec(const ConfigSpec& spec);

// A complete haproxy.cfg. REQUIRES: ValidateConfigSpec(spec) ok.
std::string RenderConfig(const ConfigSpec& spec);

// Only what shardgate adds to an existing HAProxy configuration: the global lines to merge, the
// frontends, the cancel backend and the shard backends. REQUIRES: ValidateConfigSpec(spec) ok.
std::string RenderFragment(const ConfigSpec& spec);

// The 3-shard demo (one primary and one replica per shard) used for haproxy/examples/.
ConfigSpec ExampleConfigSpec();

}  // namespace shardgate::haproxy
