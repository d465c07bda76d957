// Config: sources, precedence and validation messages that name the key.
#include "agent/config.h"

#include <doctest/doctest.h>

namespace shardgate::agent {
namespace {

ConfigSources Sources(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                      std::string file = "") {
  return ConfigSources{std::move(args),
                       [env](const std::string& n) -> std::optional<std::string> {
                         auto it = env.find(n);
                         return it == env.end() ? std::nullopt
                                                : std::optional<std::string>(it->second);
                       },
                       [file](const std::string& path) -> Result<std::string> {
                         if (path != "/etc/agent.conf") return NotFound(path);
                         return file;
                       }};
}

std::vector<std::string> Required() {
  return {"--cluster=orders", "--shard=shard_1", "--node=n1", "--pg-conninfo=host=127.0.0.1"};
}

std::string Error(std::vector<std::string> args) {
  auto cfg = LoadConfig(Sources(std::move(args)));
  REQUIRE_FALSE(cfg.ok());
  return cfg.status().message();
}

std::vector<std::string> With(std::string extra) {
  auto args = Required();
  args.push_back(std::move(extra));
  return args;
}

TEST_CASE("the required keys suffice and the defaults follow from them") {
  auto cfg = LoadConfig(Sources(Required()));
  REQUIRE(cfg.ok());
  CHECK(cfg->publish.service_name == "shardgate-orders");
  CHECK(cfg->publish.ttl == Millis(10000));
  CHECK(cfg->publish.heartbeat == Millis(3333));
  CHECK(cfg->interval == Millis(1000));
  CHECK(cfg->pg_conninfo == "host=127.0.0.1");
}

TEST_CASE("a missing required key is named") {
  CHECK(Error({"--cluster=orders", "--shard=s", "--node=n"}) == "pg_conninfo: required");
}

TEST_CASE("bad values are refused with the key and the reason") {
  CHECK(Error(With("--interval=50ms")) == "interval: must be at least 100ms");
  CHECK(Error(With("--interval=5")) == "interval: must be a duration like 250ms, 10s or 1m");
  CHECK(Error(With("--fall=0")) == "fall: must be between 1 and 100");
  CHECK(Error(With("--cluster=a b")) == "cluster: must match [A-Za-z0-9_.-]+");
  CHECK(Error(With("--on-exit=vanish")) == "on_exit: must be critical or deregister");
  CHECK(Error(With("--metrics-listen=9187")) ==
        "metrics_listen: must be host:port, e.g. 127.0.0.1:9187");
  CHECK(Error(With("--bogus=1")) == "bogus: unknown key");
  CHECK(Error(With("--saturation-warn=1.5")) == "saturation_warn: must be a fraction in (0, 1]");
}

TEST_CASE("durations take Go's syntax and a negative one is too short") {
  auto cfg = LoadConfig(Sources(With("--ttl=1m30s")));
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  CHECK(cfg->publish.ttl == Millis(90000));
  CHECK(Error(With("--interval=-1s")) == "interval: must be at least 100ms");
}

TEST_CASE("keys that depend on each other are checked together") {
  CHECK(Error(With("--heartbeat=10s")) == "heartbeat: must be shorter than ttl (10000ms)");
  CHECK(Error(With("--probe-timeout=2s")) == "probe_timeout: must not exceed interval (1000ms)");
  CHECK(Error(With("--saturation-soft=0.95")) == "saturation_soft: must be below saturation_warn");
}

TEST_CASE("flags override the environment, which overrides the file") {
  std::string file = "# agent\ncluster = orders\nshard = s1\nnode = n1\npg_conninfo = port=1\n"
                     "interval = 500ms\nttl = 4s\n";
  auto cfg = LoadConfig(
      Sources({"--config", "/etc/agent.conf", "--ttl=6s"},
              {{"SHARDGATE_AGENT_INTERVAL", "250ms"}, {"SHARDGATE_AGENT_TTL", "5s"}}, file));
  REQUIRE_MESSAGE(cfg.ok(), cfg.status().message());
  CHECK(cfg->interval == Millis(250));
  CHECK(cfg->probe_timeout == Millis(200));
  CHECK(cfg->publish.ttl == Millis(6000));
  CHECK(cfg->publish.heartbeat == Millis(2000));
}

TEST_CASE("config file problems name the file and the line") {
  auto bad_line = LoadConfig(Sources({"--config=/etc/agent.conf"}, {}, "cluster = a\nnonsense\n"));
  CHECK(bad_line.status().message() == "config: /etc/agent.conf: line 2: expected key = value");
  auto missing = LoadConfig(Sources({"--config=/nope.conf"}));
  CHECK(missing.status().message() == "config: cannot read /nope.conf");
}

TEST_CASE("a flag without a value is refused") {
  CHECK(Error({"--cluster"}) == "cluster: missing value");
  CHECK(Error({"cluster=a"}) == "cluster=a: expected --key=value");
}

}  // namespace

TEST_CASE("a password in pg_conninfo is refused, in key=value and URI form") {
  CHECK(Error({"--cluster=o", "--shard=s", "--node=n", "--pg_conninfo=host=h password=secret"})
            .starts_with("pg_conninfo: must not contain a password"));
  CHECK(Error({"--cluster=o", "--shard=s", "--node=n", "--pg_conninfo=postgresql://u:secret@h/db"})
            .starts_with("pg_conninfo: must not contain a password"));
}

}  // namespace shardgate::agent
