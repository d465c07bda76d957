// Tests for ConfigSpec validation, its JSON form and the rendered configuration.
#include "haproxy/config.h"

#include <doctest/doctest.h>

#include "common/file.h"
#include "haproxy/config_json.h"

namespace shardgate::haproxy {
namespace {

ConfigSpec TestSpec() {
  ConfigSpec spec = ExampleConfigSpec();
  spec.socket_path = "/tmp/sg/haproxy.sock";
  spec.key_param = "application_name";
  spec.key_pattern = "^key=(%-?%d+)$";
  return spec;
}

std::string ReadSource(const std::string& relative) {
  Result<std::string> text = ReadFile(std::string(SHARDGATE_SOURCE_DIR) + "/" + relative);
  REQUIRE_MESSAGE(text.ok(), text.status().ToString());
  return *text;
}

// Position of `needle` in `text`, failing the test when absent.
size_t At(const std::string& text, const std::string& needle) {
  size_t pos = text.find(needle);
  CHECK_MESSAGE(pos != std::string::npos, "missing: " << needle);
  return pos;
}

TEST_CASE("the example spec is valid") { CHECK(ValidateConfigSpec(ExampleConfigSpec()).ok()); }

TEST_CASE("validation errors name the offending field") {
  ConfigSpec spec = TestSpec();
  spec.shards[1].ro[0].port = 70000;
  CHECK(ValidateConfigSpec(spec).message() == "shards[1].ro[0].port 70000 is outside 1..65535");
  spec = TestSpec();
  spec.socket_path = "relative.sock";
  CHECK(ValidateConfigSpec(spec).message().rfind("socket_path 'relative.sock'", 0) == 0);
  spec = TestSpec();
  spec.shards[0].ro.push_back(spec.shards[0].rw[0]);
  CHECK(ValidateConfigSpec(spec).message().rfind("shards[0].ro[1].name 'n1' is used twice", 0) ==
        0);
  spec = TestSpec();
  spec.shards[2].name = "shard_1";
  CHECK(ValidateConfigSpec(spec).message() == "shards[2].name 'shard_1' is used twice");
  spec = TestSpec();
  spec.key_pattern = "it's";
  CHECK(ValidateConfigSpec(spec).message().rfind("key_pattern", 0) == 0);
  spec = TestSpec();
  spec.ro_port = spec.rw_port;
  CHECK(ValidateConfigSpec(spec).message() == "ro_port equals rw_port");
  spec = TestSpec();
  spec.shards.clear();
  CHECK(ValidateConfigSpec(spec).message() == "shards is empty and spare_backends is 0");
  spec = TestSpec();
  spec.shards[0].rw[0].weight = 300;
  CHECK(ValidateConfigSpec(spec).message() == "shards[0].rw[0].weight 300 is outside 0..256");
}

TEST_CASE("spare backends need a shards map, stay within 0..64 and own their name prefix") {
  ConfigSpec spec = TestSpec();
  spec.spare_backends = 2;
  CHECK(ValidateConfigSpec(spec).message() ==
        "spare_backends 2 needs shards_map_path (the router finds a spare's shard there)");
  spec.shards_map_path = "/var/lib/shardgate/shardgate_shards.map";
  CHECK(ValidateConfigSpec(spec).ok());
  spec.spare_backends = 65;
  CHECK(ValidateConfigSpec(spec).message() == "spare_backends 65 is outside 0..64");
  spec.spare_backends = -1;
  CHECK(ValidateConfigSpec(spec).message() == "spare_backends -1 is outside 0..64");
  spec.spare_backends = 1;
  spec.shards_map_path = "shards.map";
  CHECK(ValidateConfigSpec(spec).message().rfind("shards_map_path 'shards.map' must be", 0) == 0);
  spec.shards_map_path = spec.ranges_map_path;
  CHECK(ValidateConfigSpec(spec).message() ==
        "shards_map_path equals ranges_map_path or cancel_map_path");
  spec = TestSpec();
  spec.shards[1].name = "shardgate_spare_1";
  CHECK(ValidateConfigSpec(spec).message() ==
        "shards[1].name 'shardgate_spare_1' starts with 'shardgate_spare_', reserved for spare "
        "backends");
}

TEST_CASE("a shards map without spares, shards without servers and spares alone are valid") {
  ConfigSpec spec = TestSpec();
  spec.shards_map_path = "/var/lib/shardgate/shardgate_shards.map";
  CHECK(ValidateConfigSpec(spec).ok());
  for (ShardSpec& shard : spec.shards) {
    shard.rw.clear();
    shard.ro.clear();
  }
  CHECK(ValidateConfigSpec(spec).ok());
  spec.shards.clear();
  spec.spare_backends = 1;
  CHECK(ValidateConfigSpec(spec).ok());
}

TEST_CASE("spare backends are rendered after the shards, configured as shard backends, empty") {
  ConfigSpec spec = TestSpec();
  spec.shards_map_path = "/var/lib/shardgate/shardgate_shards.map";
  spec.spare_backends = 2;
  std::string cfg = RenderConfig(spec);
  size_t env = At(cfg, "setenv SHARDGATE_SHARDS_MAP /var/lib/shardgate/shardgate_shards.map\n");
  CHECK(env < At(cfg, "lua-load "));
  size_t last_shard = At(cfg, "backend shard_3_ro\n");
  size_t spare = At(cfg, "backend shardgate_spare_1_rw\n");
  CHECK(last_shard < spare);
  // Each spare section equals a shard section of a shard without servers, but for its name.
  ConfigSpec empty = spec;
  empty.spare_backends = 0;
  empty.shards = {ShardSpec{"x", {}, {}}};
  std::string shard_cfg = RenderConfig(empty);
  std::string shard_rw = shard_cfg.substr(At(shard_cfg, "backend x_rw\n"));
  shard_rw = shard_rw.substr(0, shard_rw.find("\n\n") + 1);
  for (const char* name : {"shardgate_spare_1_rw", "shardgate_spare_2_rw"}) {
    CAPTURE(name);
    std::string section = cfg.substr(At(cfg, std::string("backend ") + name + "\n"));
    section = section.substr(0, section.find("\n\n") + 1);
    CHECK(section.substr(section.find('\n')) == shard_rw.substr(shard_rw.find('\n')));
    CHECK(section.find("server ") == std::string::npos);
  }
  At(cfg, "backend shardgate_spare_2_ro\n");
  CHECK(cfg.find("shardgate_spare_3") == std::string::npos);
  At(RenderFragment(spec), "backend shardgate_spare_2_ro\n");
}

TEST_CASE("without a shards map the router gets no SHARDGATE_SHARDS_MAP and no spares exist") {
  std::string cfg = RenderConfig(TestSpec());
  CHECK(cfg.find("SHARDGATE_SHARDS_MAP") == std::string::npos);
  CHECK(cfg.find("shardgate_spare_") == std::string::npos);
}

TEST_CASE("frontends carry the interface rules in the documented order") {
  std::string cfg = RenderConfig(TestSpec());
  for (const char* role : {"rw", "ro"}) {
    CAPTURE(role);
    size_t fe = At(cfg, std::string("frontend shardgate_") + role + "\n");
    size_t delay = At(cfg.substr(fe), "tcp-request inspect-delay 5s");
    size_t route = At(cfg.substr(fe),
                      std::string("tcp-request content lua.shardgate_route ") + role + "\n");
    size_t dst = At(
        cfg.substr(fe),
        "tcp-request content set-dst var(txn.shardgate_cancel_addr) if { var(txn.shardgate_cancel_addr) -m found }");
    size_t port = At(
        cfg.substr(fe),
        "tcp-request content set-dst-port var(txn.shardgate_cancel_port) if { var(txn.shardgate_cancel_port) -m found }");
    size_t reject = At(cfg.substr(fe),
                       "tcp-request content reject unless { var(txn.shardgate_backend) -m found }");
    size_t use = At(cfg.substr(fe), "use_backend %[var(txn.shardgate_backend)]");
    CHECK(delay < route);
    CHECK(route < dst);
    CHECK(dst < port);
    CHECK(port < reject);
    CHECK(reject < use);
  }
  At(cfg, "bind 127.0.0.1:6432\n");
  At(cfg, "bind 127.0.0.1:6433\n");
}

TEST_CASE("the global section sets the environment before loading the router") {
  std::string cfg = RenderConfig(TestSpec());
  size_t ranges = At(cfg, "setenv SHARDGATE_RANGES_MAP /var/lib/shardgate/shardgate_ranges.map\n");
  At(cfg, "setenv SHARDGATE_CANCEL_MAP /var/lib/shardgate/shardgate_cancel.map\n");
  At(cfg, "setenv SHARDGATE_KEY_PARAM application_name\n");
  At(cfg, "setenv SHARDGATE_KEY_PATTERN '^key=(%-?%d+)$'\n");
  size_t path = At(cfg, "lua-prepend-path /usr/share/shardgate/lua/?.lua\n");
  size_t load = At(cfg, "lua-load /usr/share/shardgate/lua/shardgate_haproxy.lua\n");
  CHECK(ranges < load);
  CHECK(path < load);
  At(cfg, "stats socket /tmp/sg/haproxy.sock mode 600 level admin expose-fd listeners\n");
  At(cfg, "tune.lua.maxmem ");
  At(cfg, "tune.lua.session-timeout ");
  At(cfg, "log stdout format raw local0\n");
}

TEST_CASE("router defaults are left to the router when the spec leaves them empty") {
  std::string cfg = RenderConfig(ExampleConfigSpec());
  CHECK(cfg.find("SHARDGATE_KEY_PARAM") == std::string::npos);
  CHECK(cfg.find("SHARDGATE_KEY_PATTERN") == std::string::npos);
  CHECK(cfg.find("nbthread") == std::string::npos);
}

TEST_CASE("shard backends are dynamic, tracked, and the ro backend keeps the primary as backup") {
  std::string cfg = RenderConfig(TestSpec());
  size_t rw = At(cfg, "backend shard_2_rw\n");
  size_t ro = At(cfg, "backend shard_2_ro\n");
  std::string rw_section = cfg.substr(rw, ro - rw);
  std::string ro_section = cfg.substr(ro, cfg.find("\n\n", ro) + 1 - ro);
  for (const std::string& section : {rw_section, ro_section}) {
    At(section, "balance leastconn\n");
    At(section, "tcp-response inspect-delay 5s\n");
    At(section, "tcp-response content lua.shardgate_track if { res.len gt 0 }\n");
  }
  At(rw_section, "server n1 127.0.0.1:5421 weight 100 check inter 1s fall 2 rise 2\n");
  At(ro_section, "server n2 127.0.0.1:5422 weight 100 check inter 1s fall 2 rise 2\n");
  At(ro_section, "server n1 127.0.0.1:5421 weight 100 backup check inter 1s fall 2 rise 2\n");
  At(cfg, "backend shardgate_cancel\n  server cancel 0.0.0.0:0\n");
}

TEST_CASE("defaults suit PostgreSQL and log the router's variables") {
  std::string cfg = RenderConfig(TestSpec());
  At(cfg, "mode tcp\n");
  At(cfg, "timeout client 1h\n");
  At(cfg, "timeout server 1h\n");
  At(cfg, "timeout connect 2s\n");
  At(cfg, "key=%[var(txn.shardgate_key)] shard=%[var(txn.shardgate_shard)] "
          "role=%[var(txn.shardgate_role)] err=%[var(txn.shardgate_error)]");
}

TEST_CASE("the stats frontend appears only with a stats port") {
  ConfigSpec spec = TestSpec();
  At(RenderConfig(spec), "http-request use-service prometheus-exporter if { path /metrics }");
  At(RenderConfig(spec), "stats uri /stats");
  spec.stats_port = 0;
  CHECK(RenderConfig(spec).find("shardgate_stats") == std::string::npos);
}

TEST_CASE("a non-stdout log target and a sub-second inspect delay are rendered as given") {
  ConfigSpec spec = TestSpec();
  spec.log_target = "/dev/log";
  spec.inspect_delay = std::chrono::milliseconds(1500);
  spec.nbthread = 2;
  std::string cfg = RenderConfig(spec);
  At(cfg, "log /dev/log local0\n");
  At(cfg, "tcp-request inspect-delay 1500ms\n");
  At(cfg, "nbthread 2\n");
}

TEST_CASE("the fragment has the router's pieces but none of the host's own settings") {
  std::string frag = RenderFragment(TestSpec());
  At(frag, "lua-load ");
  At(frag, "frontend shardgate_rw\n");
  At(frag, "backend shard_3_ro\n");
  CHECK(frag.find("log stdout") == std::string::npos);
  CHECK(frag.find("shardgate_stats") == std::string::npos);
}

TEST_CASE("the committed examples equal the current rendering") {
  CHECK(ReadSource("haproxy/examples/haproxy.cfg") == RenderConfig(ExampleConfigSpec()));
  CHECK(ReadSource("haproxy/examples/fragment.cfg") == RenderFragment(ExampleConfigSpec()));
}

TEST_CASE("the JSON spec reads every field and rejects unknown keys by path") {
  Result<ConfigSpec> spec = ParseConfigSpecJson(R"({
    "bind_host": "0.0.0.0", "rw_port": 1, "ro_port": 2, "stats_port": 3,
    "socket_path": "/s", "lua_dir": "/l", "ranges_map_path": "/r", "cancel_map_path": "/c",
    "key_param": "p", "key_pattern": "k", "log_target": "/dev/log", "nbthread": 4,
    "inspect_delay_ms": 2500, "shards_map_path": "/m", "spare_backends": 3,
    "shards": [{"name": "a", "rw": [{"name": "n1", "host": "h", "port": 5, "weight": 9}],
                "ro": [{"name": "n2", "host": "h", "port": 6, "backup": true}]}]})");
  REQUIRE(spec.ok());
  CHECK(spec->bind_host == "0.0.0.0");
  CHECK(spec->nbthread == 4);
  CHECK(spec->inspect_delay == std::chrono::milliseconds(2500));
  CHECK(spec->shards_map_path == "/m");
  CHECK(spec->spare_backends == 3);
  REQUIRE(spec->shards.size() == 1);
  CHECK(spec->shards[0].rw[0].weight == 9);
  CHECK(spec->shards[0].ro[0].backup);
  CHECK(ParseConfigSpecJson(R"({"shards": [{"name": "a", "rw": [{"prt": 1}]}]})")
            .status()
            .message() == "unknown key shards[0].rw[0].prt");
  CHECK(ParseConfigSpecJson(R"({"rw_port": "6432"})").status().message() ==
        "rw_port must be an integer");
  CHECK(ParseConfigSpecJson("{").status().message() == "spec is not valid JSON");
  CHECK(ParseConfigSpecJson("[]").status().message() == "spec is not an object");
}

}  // namespace
}  // namespace shardgate::haproxy
