// Tests for base64: RFC 4648 vectors, round trips and Go's errors.
#include "common/base64.h"

#include <doctest/doctest.h>

#include <vector>

namespace shardgate {
namespace {

TEST_CASE("base64 matches the RFC 4648 test vectors both ways") {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"},
                                                         {"v2", "djI="}};
  for (const auto& [plain, encoded] : vectors) {
    CAPTURE(plain);
    CHECK(Base64Encode(plain) == encoded);
    CHECK(Base64Decode(encoded).value() == plain);
  }
}

TEST_CASE("base64 round-trips every byte value and length") {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  for (size_t n = 0; n <= all.size(); n += 37) {
    std::string bytes = all.substr(0, n);
    CHECK(Base64Decode(Base64Encode(bytes)).value() == bytes);
  }
  CHECK(Base64Encode("node-a") == "bm9kZS1h");
  CHECK(Base64Encode(std::string("\0\xff\x10", 3)) == "AP8Q");
}

TEST_CASE("bad base64 is refused with Go's text naming the byte") {
  CHECK(Base64Decode("bm9k!S1h").status().message() == "illegal base64 data at input byte 4");
  CHECK(Base64Decode("abc").status().message() == "illegal base64 data at input byte 0");
  CHECK(Base64Decode("abcde").status().message() == "illegal base64 data at input byte 4");
  CHECK(Base64Decode("ab=c").status().message() == "illegal base64 data at input byte 2");
  CHECK(Base64Decode("a===").status().message() == "illegal base64 data at input byte 1");
  CHECK(Base64Decode("Zg==Zg==").status().message() == "illegal base64 data at input byte 2");
  CHECK(Base64Decode("Zm9v\n").status().code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace shardgate
