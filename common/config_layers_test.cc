// Config layering: precedence, file syntax, flag spelling and typed keys naming what is wrong.
#include "common/config_layers.h"

#include <doctest/doctest.h>

namespace shardgate {
namespace {

struct Demo {
  std::string name;
  Millis every{1000};
  std::string listen;
};

const std::map<std::string, KeySetter<Demo>>& DemoKeys() {
  static const auto* keys = new std::map<std::string, KeySetter<Demo>>{
      {"name", NameKey<Demo>([](Demo& d) -> std::string& { return d.name; })},
      {"every", DurationKey<Demo>(Millis(10), [](Demo& d) -> Millis& { return d.every; })},
      {"listen", ListenKey<Demo>([](Demo& d) -> std::string& { return d.listen; })},
  };
  return *keys;
}

ConfigSources Sources(std::vector<std::string> args, std::map<std::string, std::string> env,
                      std::string file) {
  return ConfigSources{std::move(args),
                       [env](const std::string& n) -> std::optional<std::string> {
                         auto it = env.find(n);
                         if (it == env.end()) return std::nullopt;
                         return it->second;
                       },
                       [file](const std::string& path) -> Result<std::string> {
                         if (path != "/etc/demo.conf") return NotFound(path);
                         return file;
                       }};
}

TEST_CASE("flags beat the environment, which beats the file") {
  auto raw =
      MergeConfigSources(Sources({"--config=/etc/demo.conf", "--name=flag"},
                                 {{"DEMO_NAME", "env"}, {"DEMO_EVERY", "2s"}},
                                 "name = file\nevery = 5s\n# comment\n\nlisten = 127.0.0.1:1\n"),
                         "DEMO_", {"name", "every", "listen"});
  REQUIRE(raw.ok());
  CHECK(raw->at("name") == "flag");
  CHECK(raw->at("every") == "2s");
  CHECK(raw->at("listen") == "127.0.0.1:1");
}

TEST_CASE("an unreadable or malformed config file is named") {
  auto missing = MergeConfigSources(Sources({"--config=/nope"}, {}, ""), "DEMO_", {});
  CHECK(missing.status().message() == "config: cannot read /nope");
  auto bad = MergeConfigSources(Sources({"--config=/etc/demo.conf"}, {}, "x\n"), "DEMO_", {});
  CHECK(bad.status().message() == "config: /etc/demo.conf: line 1: expected key = value");
}

TEST_CASE("flags take dashes or underscores and refuse positional words") {
  auto raw = ParseConfigFlags({"--log-level", "debug", "--a_b=1"});
  REQUIRE(raw.ok());
  CHECK(raw->at("log_level") == "debug");
  CHECK(raw->at("a_b") == "1");
  CHECK(ParseConfigFlags({"oops"}).status().message() == "oops: expected --key=value");
}

TEST_CASE("typed keys say what the value must be, prefixed with the key") {
  Demo demo;
  CHECK(ApplyKeys({{"every", "5"}}, DemoKeys(), demo).message() ==
        "every: must be a duration like 250ms, 10s or 1m");
  CHECK(ApplyKeys({{"every", "1ms"}}, DemoKeys(), demo).message() ==
        "every: must be at least 10ms");
  CHECK(ApplyKeys({{"name", "a b"}}, DemoKeys(), demo).message() ==
        "name: must match [A-Za-z0-9_.-]+");
  CHECK(ApplyKeys({{"listen", "nohost"}}, DemoKeys(), demo).message() ==
        "listen: must be host:port, e.g. 127.0.0.1:9187");
  CHECK(ApplyKeys({{"colour", "red"}}, DemoKeys(), demo).message() == "colour: unknown key");
  REQUIRE(ApplyKeys({{"name", "n1"}, {"every", "250ms"}, {"listen", "0.0.0.0:0"}}, DemoKeys(), demo)
              .ok());
  CHECK(demo.every == Millis(250));
  CHECK(ParseListen("listen", "127.0.0.1:9640")->second == 9640);
}

}  // namespace
}  // namespace shardgate
