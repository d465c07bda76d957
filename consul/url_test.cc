// Tests for URL building: key escaping, query strings, Go durations.
#include "consul/url.h"

#include <doctest/doctest.h>

namespace shardgate::consul {

TEST_CASE("key paths keep slashes and escape everything else that is not unreserved") {
  CHECK(EscapePath("shardgate/orders/map") == "shardgate/orders/map");
  CHECK(EscapePath("a b/c?d#e%f&g=h") == "a%20b/c%3Fd%23e%25f%26g%3Dh");
  CHECK(EscapePath("caf\xc3\xa9") == "caf%C3%A9");
}

TEST_CASE("components escape slashes too") {
  CHECK(EscapeComponent("service:web/1") == "service%3Aweb%2F1");
  CHECK(EscapeComponent("A-z_0.9~") == "A-z_0.9~");
}

TEST_CASE("query strings start with ? and join with &, flags have no value") {
  QueryString q;
  q.Flag("recurse").Add("separator", "/").Add("note", "a b");
  CHECK(q.str() == "?recurse&separator=%2F&note=a%20b");
  CHECK(QueryString().str().empty());
}

TEST_CASE("durations are written as Go milliseconds") {
  CHECK(GoDuration(std::chrono::milliseconds(1500)) == "1500ms");
  CHECK(GoDuration(std::chrono::minutes(5)) == "300000ms");
}

TEST_CASE("error messages use the path without its query string") {
  CHECK(PathWithoutQuery("/v1/kv/a?cas=3&token=x") == "/v1/kv/a");
  CHECK(PathWithoutQuery("/v1/kv/a") == "/v1/kv/a");
}

}  // namespace shardgate::consul
