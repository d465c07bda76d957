// HAProxy set-ups shared by the router benches (see router_setup.h).
#include "bench/router_setup.h"

#include <random>

#include "common/file.h"
#include "haproxy/range_map.h"
#include "tests/harness/ports.h"
#include "tests/harness/stack.h"

namespace shardgate::bench {
namespace {

// The router's log-format without its Lua variables, so both set-ups write one similar line.
constexpr std::string_view kPlainConfig = R"(global
  log stdout format raw local0
  nbthread 1
  stats socket @SOCKET@ mode 600 level admin

defaults
  mode tcp
  log global
  option dontlognull
  log-format "%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts@LOG_SUFFIX@"
  timeout connect 2s
  timeout client 1h
  timeout server 1h

frontend plain
  bind 127.0.0.1:@PORT@@BIND_OPTIONS@
  default_backend responder

backend responder
  balance leastconn
  server s1 127.0.0.1:@SERVER_PORT@
)";

std::string Replace(std::string text, std::string_view from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

// kPlainConfig with its @NAME@ fields filled: `bind_options` after the bind address,
// `log_suffix` at the end of the log-format.
Result<BenchHaproxy> StartForwardingHaproxy(const std::filesystem::path& dir, int server_port,
                                            const std::string& bind_options,
                                            const std::string& log_suffix) {
  ASSIGN_OR_RETURN(auto port, harness::FreePort());
  std::filesystem::create_directories(dir);
  harness::HaproxyOptions options;
  options.dir = dir;
  options.socket_path = (dir / "haproxy.sock").string();
  options.config_text = Replace(std::string(kPlainConfig), "@SOCKET@", options.socket_path);
  options.config_text = Replace(options.config_text, "@PORT@", std::to_string(port));
  options.config_text = Replace(options.config_text, "@BIND_OPTIONS@", bind_options);
  options.config_text = Replace(options.config_text, "@LOG_SUFFIX@", log_suffix);
  options.config_text = Replace(options.config_text, "@SERVER_PORT@", std::to_string(server_port));
  options.tcp_ports = {port};
  ASSIGN_OR_RETURN(auto process, harness::HaproxyProcess::Start(std::move(options)));
  return BenchHaproxy{std::move(process), port, 0, ""};
}

}  // namespace

Result<BenchHaproxy> StartPlainHaproxy(const std::filesystem::path& dir, int server_port) {
  return StartForwardingHaproxy(dir, server_port, "", "");
}

Result<BenchHaproxy> StartTlsTerminatingHaproxy(const std::filesystem::path& dir, int server_port,
                                                const std::string& pem_path) {
  // The router's log-format ends with the TLS version too; same line, same cost.
  return StartForwardingHaproxy(dir, server_port,
                                " ssl crt " + pem_path + " alpn postgresql ssl-min-ver TLSv1.2",
                                " tls=%[ssl_fc_protocol]");
}

Result<BenchHaproxy> StartRouterHaproxy(const std::filesystem::path& dir, int server_port,
                                        const std::vector<model::Segment>& segments,
                                        std::chrono::milliseconds inspect_delay,
                                        std::filesystem::path lua_dir,
                                        const haproxy::TlsSpec& tls) {
  auto rw = harness::FreePort();
  auto ro = harness::FreePort();
  if (!rw.ok() || !ro.ok()) return Unavailable("no free port for the router frontends");
  std::filesystem::create_directories(dir);
  haproxy::ConfigSpec spec;
  spec.rw_port = *rw;
  spec.ro_port = *ro;
  spec.socket_path = (dir / "haproxy.sock").string();
  spec.lua_dir = (lua_dir.empty() ? harness::SourceDir() / "lua" : lua_dir).string();
  spec.ranges_map_path = (dir / "shardgate_ranges.map").string();
  spec.cancel_map_path = (dir / "shardgate_cancel.map").string();
  spec.nbthread = 1;
  spec.inspect_delay = inspect_delay;
  spec.tls = tls;
  for (std::string shard : {"shard_1", "shard_2"}) {
    spec.shards.push_back({shard, {{"s1", "127.0.0.1", server_port}}, {}});
  }
  RETURN_IF_ERROR(haproxy::ValidateConfigSpec(spec));
  harness::HaproxyOptions options;
  options.dir = dir;
  options.config_text = haproxy::RenderConfig(spec);
  options.socket_path = spec.socket_path;
  options.tcp_ports = {spec.rw_port, spec.ro_port};
  options.files = {{spec.ranges_map_path, haproxy::RenderMapFile(segments, 1)},
                   {spec.cancel_map_path, ""}};
  ASSIGN_OR_RETURN(auto process, harness::HaproxyProcess::Start(std::move(options)));
  return BenchHaproxy{std::move(process), spec.rw_port, spec.ro_port, spec.ranges_map_path};
}

Status WriteFloorLua(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Unavailable("cannot create " + dir.string() + ": " + error.message());
  return WriteFile(dir / "shardgate_haproxy.lua",
                   R"lua(-- Bench floor: the router's two actions with (almost) nothing in them.
core.register_action("shardgate_route", { "tcp-req" }, function(txn, role)
  txn:set_var("txn.shardgate_backend", role == "ro" and "shard_1_ro" or "shard_1_rw")
end, 1)
core.register_action("shardgate_track", { "tcp-res" }, function(txn) end, 0)
)lua");
}

std::vector<model::Segment> EvenSegments(int count, int64_t width) {
  std::vector<model::Segment> segments;
  segments.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    segments.push_back({i * width, i * width + width - 1, i % 2 == 0 ? "shard_1" : "shard_2"});
  }
  return segments;
}

std::vector<int64_t> SpreadKeys(int count, int segments, int64_t width) {
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> pick(0, segments * width - 1);
  std::vector<int64_t> keys(static_cast<size_t>(count));
  for (int64_t& key : keys) key = pick(rng);
  return keys;
}

}  // namespace shardgate::bench
