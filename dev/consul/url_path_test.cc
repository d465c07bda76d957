// Unit tests for the printable-path filter and path cleaning.
#include "dev/consul/url_path.h"

#include <doctest/doctest.h>

namespace shardgate::consul::dev {
namespace {

TEST_CASE("paths with control, separator or format characters are not printable") {
  CHECK(PathIsPrintable("/v1/kv/a b/~!$"));
  CHECK(PathIsPrintable("/v1/kv/caf\xc3\xa9"));
  // Go decodes a byte that is not UTF-8 as U+FFFD, which is printable.
  CHECK(PathIsPrintable("/v1/kv/a\xff"));
  CHECK_FALSE(PathIsPrintable("/v1/kv/a\nb"));
  CHECK_FALSE(PathIsPrintable(std::string("/v1/kv/a\0b", 10)));
  CHECK_FALSE(PathIsPrintable("/v1/kv/a\x7f"));
  CHECK_FALSE(PathIsPrintable("/v1/kv/\xc2\x85"));      // U+0085, a C1 control
  CHECK_FALSE(PathIsPrintable("/v1/kv/\xc2\xa0"));      // U+00A0, no-break space
  CHECK_FALSE(PathIsPrintable("/v1/kv/\xe2\x80\x8b"));  // U+200B, zero-width space
}

TEST_CASE("cleaning removes repeated slashes and dot segments and keeps a trailing slash") {
  CHECK(CleanPath("/v1/kv/a/b") == "/v1/kv/a/b");
  CHECK(CleanPath("/v1/kv//a/b") == "/v1/kv/a/b");
  CHECK(CleanPath("/v1/kv/a//") == "/v1/kv/a/");
  CHECK(CleanPath("/v1/kv/./a/../b") == "/v1/kv/b");
  CHECK(CleanPath("/v1/kv/a/.") == "/v1/kv/a");
  CHECK(CleanPath("/../..") == "/");
  CHECK(CleanPath("") == "/");
}

TEST_CASE("the redirect location escapes what Go escapes in a path") {
  CHECK(EscapePath("/v1/kv/a b/c%d") == "/v1/kv/a%20b/c%25d");
  CHECK(EscapePath("/v1/kv/x-_.~$&+,:;=@") == "/v1/kv/x-_.~$&+,:;=@");
}

}  // namespace
}  // namespace shardgate::consul::dev
