// The tokens file, Bearer checks and loopback hosts.
#include "controller/admin_tokens.h"

#include <doctest/doctest.h>

namespace shardgate::controller {
namespace {

constexpr std::string_view kFile = "# admin tokens\n"
                                   "\n"
                                   "alice rw alice-token-0123456789   # laptop\n"
                                   "  grafana\tro grafana-token-0123456789\n"
                                   "hash rw has#hash-in-it-0123\n";

TokenSet Tokens() { return *ParseTokens(kFile); }

TEST_CASE("the tokens file gives names, access and tokens, skipping comments and blanks") {
  TokenSet set = Tokens();
  REQUIRE(set.tokens.size() == 3);
  CHECK(set.tokens[0].name == "alice");
  CHECK(set.tokens[0].read_write);
  CHECK(set.tokens[0].secret == "alice-token-0123456789");
  CHECK(set.tokens[1].name == "grafana");
  CHECK_FALSE(set.tokens[1].read_write);
  CHECK(set.tokens[2].secret == "has#hash-in-it-0123");
}

TEST_CASE("a bad tokens file is refused naming the line and never the token") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"a rw 0123456789abcdef\nb rw\n", "line 2"},
      {"a rw 0123456789abcdef extra\n", "line 1"},
      {"a admin 0123456789abcdef\n", "line 1"},
      {"a rw short-secret\n", "line 1"},
      {"a/b rw 0123456789abcdef\n", "line 1"},
      {"a rw 0123456789abcdef\na ro fedcba9876543210\n", "line 2"},
      {"a rw 0123456789abcdef\n# x\nb ro 0123456789abcdef\n", "line 3"},
      {"# nothing\n\n", "no tokens"},
      {"", "no tokens"},
  };
  for (const auto& [text, want] : cases) {
    CAPTURE(text);
    Result<TokenSet> set = ParseTokens(text);
    REQUIRE_FALSE(set.ok());
    CHECK(set.status().code() == Code::kInvalidArgument);
    CHECK(set.status().message().find(want) != std::string::npos);
    CHECK(set.status().message().find("0123456789abcdef") == std::string::npos);
  }
}

TEST_CASE("without tokens every caller is anonymous") {
  AdminResult<std::string> who = Authorize(TokenSet{}, std::nullopt, /*mutating=*/true);
  REQUIRE(who.ok());
  CHECK(*who == "anonymous");
}

TEST_CASE("a known Bearer token names its caller, in any scheme case") {
  CHECK(*Authorize(Tokens(), "Bearer alice-token-0123456789", /*mutating=*/true) == "alice");
  CHECK(*Authorize(Tokens(), "bearer grafana-token-0123456789", /*mutating=*/false) == "grafana");
  CHECK(*Authorize(Tokens(), "BEARER  has#hash-in-it-0123 ", /*mutating=*/true) == "hash");
}

TEST_CASE("a missing, malformed or unknown token is unauthenticated") {
  for (std::optional<std::string_view> header : std::vector<std::optional<std::string_view>>{
           std::nullopt, "", "Bearer", "Bearer ", "Basic YWxpY2U6cHc=", "alice-token-0123456789",
           "Bearer alice-token-012345678", "Bearer alice-token-01234567890",
           "Bearer ALICE-TOKEN-0123456789", "Bearertoken alice-token-0123456789"}) {
    CAPTURE(header.value_or("(none)"));
    AdminResult<std::string> who = Authorize(Tokens(), header, /*mutating=*/false);
    REQUIRE_FALSE(who.ok());
    CHECK(who.error().status == 401);
    CHECK(who.error().code == "unauthenticated");
    CHECK(who.error().message.find("alice-token") == std::string::npos);
  }
}

TEST_CASE("a read-only token may read but not change") {
  AdminResult<std::string> change = Authorize(Tokens(), "Bearer grafana-token-0123456789",
                                              /*mutating=*/true);
  REQUIRE_FALSE(change.ok());
  CHECK(change.error().status == 403);
  CHECK(change.error().code == "forbidden");
}

TEST_CASE("loopback hosts are localhost, 127.0.0.0/8 and ::1") {
  for (std::string_view host :
       {"localhost", "LocalHost", "127.0.0.1", "127.255.0.9", "::1", "[::1]", "0:0:0:0:0:0:0:1"}) {
    CAPTURE(host);
    CHECK(IsLoopbackHost(host));
  }
  for (std::string_view host : {"0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "127.1", "127.0.0.1.",
                                "example.com", "localhost.example.com", "", "[::1", "::2"}) {
    CAPTURE(host);
    CHECK_FALSE(IsLoopbackHost(host));
  }
}

}  // namespace
}  // namespace shardgate::controller
