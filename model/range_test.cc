// Tests for the range model: "lo hi shard" text and map validation.
#include "model/range.h"

#include <doctest/doctest.h>

#include <limits>

namespace shardgate::model {
namespace {

TEST_CASE("range text parses comments, blanks and negative keys") {
  Result<std::vector<Segment>> r = ParseRangeText(
      "# orders map\n\n-100 -1 shard_1\n0 999  shard_2   # trailing comment\n\t1000 1999 s.3-x\n");
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  CHECK((*r)[0] == Segment{-100, -1, "shard_1"});
  CHECK((*r)[2] == Segment{1000, 1999, "s.3-x"});
}

TEST_CASE("range text errors name the line and the problem") {
  CHECK(ParseRangeText("1 2 a\n1 2\n").status().message() ==
        "line 2: expected 'lo hi shard', got 2 fields");
  CHECK(ParseRangeText("x 2 a").status().message() ==
        "line 1: lo 'x' is not a signed 64-bit integer");
  CHECK(ParseRangeText("1 9223372036854775808 a").status().message() ==
        "line 1: hi '9223372036854775808' is not a signed 64-bit integer");
  CHECK(ParseRangeText("\n\n1 2 bad/name")
            .status()
            .message()
            .starts_with("line 3: shard 'bad/name'"));
}

TEST_CASE("the int64 bounds parse") {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  Result<std::vector<Segment>> r = ParseRangeText("-9223372036854775808 9223372036854775807 all\n");
  REQUIRE(r.ok());
  CHECK((*r)[0] == Segment{kMin, kMax, "all"});
}

TEST_CASE("validation names the offending segment") {
  CHECK(ValidateSegments({{5, 1, "a"}}).message() == "segment 0 '5 1 a': lo is greater than hi");
  CHECK(ValidateSegments({{0, 10, "a"}, {10, 20, "b"}}).message() ==
        "segment 1 '10 20 b': overlaps segment 0 '0 10 a'");
  CHECK(ValidateSegments({{10, 20, "a"}, {0, 5, "b"}}).message() ==
        "segment 1 '0 5 b': not sorted: starts before segment 0 '10 20 a'");
  CHECK(ValidateSegments({{0, 1, "a b"}}).code() == Code::kInvalidArgument);
  CHECK(ValidateSegments({{0, 1, std::string(129, 'a')}}).code() == Code::kInvalidArgument);
  CHECK(ValidateSegments({{0, 1, std::string(128, 'a')}}).ok());
}

TEST_CASE("a thousand adjacent segments are a valid map") {
  std::vector<Segment> segments;
  for (int64_t i = 0; i < 1000; ++i) segments.push_back({i * 100, i * 100 + 99, "shard_1"});
  CHECK(ValidateSegments(segments).ok());
}

TEST_CASE("shard names are [A-Za-z0-9_.-]+ of at most 128 bytes") {
  CHECK(IsShardName("shard_1"));
  CHECK(IsShardName("s.3-x"));
  CHECK_FALSE(IsShardName(""));
  CHECK_FALSE(IsShardName("a:b"));
  CHECK_FALSE(IsShardName("a,b"));
  CHECK_FALSE(IsShardName(std::string(129, 'a')));
}

}  // namespace
}  // namespace shardgate::model
