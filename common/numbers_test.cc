// Tests for whole-string integer parsing.
#include "common/numbers.h"

#include <doctest/doctest.h>

#include <cstdint>

namespace shardgate {
namespace {

TEST_CASE("an integer parses only when the whole text is digits") {
  int n = 0;
  CHECK((ParseInteger("42", &n) && n == 42));
  CHECK((ParseInteger("007", &n) && n == 7));
  int64_t min = 0;
  CHECK((ParseInteger("-9223372036854775808", &min) && min == INT64_MIN));
  uint64_t max = 0;
  CHECK((ParseInteger("18446744073709551615", &max) && max == UINT64_MAX));
  for (const char* bad : {"", " 42", "42 ", "+42", "42x", "4 2", "0x10", "1e3", "-"}) {
    CAPTURE(bad);
    n = 5;
    CHECK_FALSE(ParseInteger(bad, &n));
    CHECK(n == 5);
  }
}

TEST_CASE("an integer that does not fit its type or sign is refused") {
  int n = 0;
  uint64_t u64 = 0;
  uint32_t u32 = 0;
  CHECK_FALSE(ParseInteger("2147483648", &n));
  CHECK_FALSE(ParseInteger("18446744073709551616", &u64));
  CHECK_FALSE(ParseInteger("-1", &u64));
  CHECK_FALSE(ParseInteger("4294967296", &u32));
}

TEST_CASE("base 16 takes hex digits in either case and no 0x prefix") {
  uint32_t v = 0;
  CHECK((ParseInteger("FFffFFff", &v, 16) && v == UINT32_MAX));
  CHECK((ParseInteger("16B3748", &v, 16) && v == 0x16B3748u));
  CHECK_FALSE(ParseInteger("0x10", &v, 16));
  CHECK_FALSE(ParseInteger("g", &v, 16));
}

}  // namespace
}  // namespace shardgate
