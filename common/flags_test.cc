// Tests for the command-line flag parser.
#include "common/flags.h"

#include <doctest/doctest.h>

namespace shardgate {
namespace {

FlagSet ServerFlags() {
  FlagSet flags;
  flags.Value("port").Value("node").Bool("tls").Bool("help", 'h');
  return flags;
}

TEST_CASE("values come after a space or an equals sign, booleans alone, in order") {
  Result<ParsedFlags> p = ServerFlags().Parse({"--port", "8500", "--node=n1", "--tls", "-h"});
  REQUIRE(p.ok());
  using Flag = std::pair<std::string, std::string>;
  CHECK(p->flags == std::vector<Flag>{{"port", "8500"}, {"node", "n1"}, {"tls", ""}, {"help", ""}});
  CHECK(p->positional.empty());
  CHECK(p->Has("tls"));
  CHECK_FALSE(ServerFlags().Parse({"--port=1"})->Has("tls"));
}

TEST_CASE("the last value of a repeated flag wins and a value may look like a flag") {
  Result<ParsedFlags> p = ServerFlags().Parse({"--node", "a", "--node", "--b", "--node=x=y"});
  REQUIRE(p.ok());
  CHECK(p->Get("node") == "x=y");
  CHECK(p->flags[1].second == "--b");
  CHECK_FALSE(p->Get("port").has_value());
}

TEST_CASE("arguments that are not flags are positional, in order") {
  Result<ParsedFlags> p = ServerFlags().Parse({"a.txt", "--port", "1", "-", "--", "-x"});
  REQUIRE(p.ok());
  CHECK(p->positional == std::vector<std::string>{"a.txt", "-", "--", "-x"});
}

TEST_CASE("an unknown flag, a missing value and a value on a boolean are errors naming the flag") {
  CHECK(ServerFlags().Parse({"--bogus", "1"}).status().message() == "bogus: unknown flag");
  CHECK(ServerFlags().Parse({"--port"}).status().message() == "port: missing value");
  CHECK(ServerFlags().Parse({"--tls=yes"}).status().message() == "tls: takes no value");
  CHECK(ServerFlags().Parse({"--bogus"}).status().code() == Code::kInvalidArgument);
}

TEST_CASE("with undeclared flags allowed every flag takes a value") {
  FlagSet open;
  open.AllowUndeclared();
  Result<ParsedFlags> p = open.Parse({"--pg-conninfo", "host=x port=5", "--ttl=10s"});
  REQUIRE(p.ok());
  CHECK(p->Get("pg-conninfo") == "host=x port=5");
  CHECK(p->Get("ttl") == "10s");
  CHECK(open.Parse({"--cluster"}).status().message() == "cluster: missing value");
}

}  // namespace
}  // namespace shardgate
