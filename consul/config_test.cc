// Tests for reading ClientConfig from the CONSUL_* variables (through a fake environment).
#include "consul/config.h"

#include <doctest/doctest.h>

#include <map>

namespace shardgate::consul {
namespace {

Environment FakeEnvironment(std::map<std::string, std::string> vars,
                            std::map<std::string, std::string> files = {}) {
  Environment env;
  env.get = [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  env.read_file = [files](const std::string& path) -> Result<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return InvalidArgument("no such file " + path);
    return it->second;
  };
  return env;
}

}  // namespace

TEST_CASE("with nothing set the client talks to 127.0.0.1:8500 without a token") {
  auto config = ConfigFromEnvironment(FakeEnvironment({}));
  REQUIRE(config.ok());
  CHECK(config->address == "http://127.0.0.1:8500");
  CHECK(config->token.empty());
  CHECK(config->ca_file.empty());
}

TEST_CASE("addresses get a scheme and CONSUL_HTTP_SSL picks https") {
  CHECK(ConfigFromEnvironment(FakeEnvironment({{"CONSUL_HTTP_ADDR", "consul.local:8501"}}))
            ->address == "http://consul.local:8501");
  CHECK(ConfigFromEnvironment(FakeEnvironment({{"CONSUL_HTTP_ADDR", "consul.local:8501"},
                                               {"CONSUL_HTTP_SSL", "true"}}))
            ->address == "https://consul.local:8501");
  CHECK(
      ConfigFromEnvironment(FakeEnvironment({{"CONSUL_HTTP_ADDR", "https://c:8501/"}}))->address ==
      "https://c:8501");
}

TEST_CASE("bad values are refused with the variable's name") {
  struct Case {
    std::map<std::string, std::string> vars;
    const char* prefix;
  };
  for (const Case& c :
       {Case{{{"CONSUL_HTTP_ADDR", "unix:///tmp/consul.sock"}}, "CONSUL_HTTP_ADDR: "},
        Case{{{"CONSUL_HTTP_ADDR", "127.0.0.1:99999"}}, "CONSUL_HTTP_ADDR: "},
        Case{{{"CONSUL_HTTP_ADDR", "127.0.0.1:port"}}, "CONSUL_HTTP_ADDR: "},
        Case{{{"CONSUL_HTTP_ADDR", "http://a/b"}}, "CONSUL_HTTP_ADDR: "},
        Case{{{"CONSUL_HTTP_SSL", "yes"}}, "CONSUL_HTTP_SSL: "},
        Case{{{"CONSUL_HTTP_TOKEN_FILE", "/missing"}}, "CONSUL_HTTP_TOKEN_FILE: "},
        Case{{{"CONSUL_HTTP_TOKEN", "a\nb"}}, "CONSUL_HTTP_TOKEN: "},
        Case{{{"CONSUL_CACERT", "/missing.pem"}}, "CONSUL_CACERT: "}}) {
    auto config = ConfigFromEnvironment(FakeEnvironment(c.vars));
    REQUIRE_FALSE(config.ok());
    CHECK(config.status().code() == Code::kInvalidArgument);
    CHECK(config.status().message().starts_with(c.prefix));
  }
}

TEST_CASE("the token file wins over the token variable and is trimmed") {
  auto config = ConfigFromEnvironment(
      FakeEnvironment({{"CONSUL_HTTP_TOKEN", "from-env"}, {"CONSUL_HTTP_TOKEN_FILE", "/t"}},
                      {{"/t", "  from-file\n"}}));
  REQUIRE(config.ok());
  CHECK(config->token == "from-file");
  CHECK(ConfigFromEnvironment(FakeEnvironment({{"CONSUL_HTTP_TOKEN", "from-env"}}))->token ==
        "from-env");
}

TEST_CASE("an empty token file is an error that names the file but never its content") {
  auto config = ConfigFromEnvironment(
      FakeEnvironment({{"CONSUL_HTTP_TOKEN_FILE", "/t"}}, {{"/t", " \n"}}));
  REQUIRE_FALSE(config.ok());
  CHECK(config.status().message() == "CONSUL_HTTP_TOKEN_FILE: token file /t is empty");
}

TEST_CASE("a readable CA file is kept") {
  auto config = ConfigFromEnvironment(
      FakeEnvironment({{"CONSUL_CACERT", "/ca.pem"}}, {{"/ca.pem", "-----BEGIN"}}));
  REQUIRE(config.ok());
  CHECK(config->ca_file == "/ca.pem");
}

}  // namespace shardgate::consul
