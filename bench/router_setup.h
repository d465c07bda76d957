// HAProxy set-ups shared by the router benches: plain TCP forwarding (the peer every router
// figure is compared with) and the router in front of given servers, plus synthetic range maps.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "haproxy/config.h"
#include "model/range.h"
#include "tests/harness/haproxy_process.h"

namespace shardgate::bench {

// Where the HAProxy under test listens (its rw/ro frontends, or the plain frontend as rw).
struct BenchHaproxy {
  std::unique_ptr<harness::HaproxyProcess> process;
  int rw_port = 0;
  int ro_port = 0;
  std::string ranges_map_path;
};

// HAProxy forwarding 127.0.0.1:<port> to one server with no Lua, one thread, and the same
// logging cost per connection as the router (one line to stdout).
Result<BenchHaproxy> StartPlainHaproxy(const std::filesystem::path& dir, int server_port);

// The same forwarding HAProxy terminating TLS at its bind (`ssl crt <pem_path> alpn postgresql
// ssl-min-ver TLSv1.2`, as the router's TLS frontend binds; still mode tcp, no Lua): the peer of
// the router's TLS hand-off, reached by direct-TLS clients (PostgreSQL 17
// `sslnegotiation=direct`); the server behind it sees clear text.
Result<BenchHaproxy> StartTlsTerminatingHaproxy(const std::filesystem::path& dir, int server_port,
                                                const std::string& pem_path);

// The router (haproxy::RenderConfig) with one thread and shards shard_1 and shard_2, each with
// one server at `server_port` (so every routed key reaches the same responder), the given map
// as version 1, and the given inspect-delay. lua_dir: the router's Lua (default: lua/ of the
// source tree). tls: the router's TLS (off by default; its hand-off sockets go into `dir`).
Result<BenchHaproxy> StartRouterHaproxy(const std::filesystem::path& dir, int server_port,
                                        const std::vector<model::Segment>& segments,
                                        std::chrono::milliseconds inspect_delay,
                                        std::filesystem::path lua_dir = {},
                                        const haproxy::TlsSpec& tls = {});

// Writes into `dir` a shardgate_haproxy.lua whose shardgate_route only sends every startup
// to shard_1_<role> and whose shardgate_track does nothing: the same configuration with the
// least Lua possible, i.e. the floor HAProxy's per-action cost sets for any Lua router.
Status WriteFloorLua(const std::filesystem::path& dir);

// `count` adjacent segments of `width` keys from 0, alternating shard_1 / shard_2.
std::vector<model::Segment> EvenSegments(int count, int64_t width);

// `count` keys spread over [0, count_segments * width), deterministic.
std::vector<int64_t> SpreadKeys(int count, int segments, int64_t width);

}  // namespace shardgate::bench
