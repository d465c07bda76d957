// Tests for the range map's str-map encoding (docs/interfaces.md §1).
#include "haproxy/range_map.h"

#include <doctest/doctest.h>

#include <limits>

namespace shardgate::haproxy {
namespace {

using model::Segment;

// n adjacent segments of width 100 starting at `start`, spread over three shards.
std::vector<Segment> MakeSegments(size_t n, int64_t start = 0) {
  std::vector<Segment> out;
  for (size_t i = 0; i < n; ++i) {
    int64_t lo = start + static_cast<int64_t>(i) * 100;
    out.push_back({lo, lo + 99, "shard_" + std::to_string(i % 3 + 1)});
  }
  return out;
}

void CheckRoundTrip(const std::vector<Segment>& segments, uint64_t version) {
  auto entries = EncodeMapEntries(segments, version);
  for (const auto& [key, value] : entries) {
    CHECK(value.size() <= kMaxChunkBytes);
    CHECK(value.find(' ') == std::string::npos);
  }
  Result<DecodedMap> decoded = DecodeMapEntries(entries);
  REQUIRE(decoded.ok());
  CHECK(decoded->version == version);
  CHECK(decoded->segments == segments);
}

TEST_CASE("a small map encodes to meta and one chunk in the documented format") {
  auto entries = EncodeMapEntries({{-5, 5, "shard_1"}, {6, 9, "shard_2"}}, 7);
  REQUIRE(entries.size() == 2);
  CHECK(entries[0] == std::pair<std::string, std::string>{"meta", "7|1|2"});
  CHECK(entries[1] == std::pair<std::string, std::string>{"c0", "7|-5:5:shard_1,6:9:shard_2"});
  CHECK(RenderMapFile({{-5, 5, "shard_1"}}, 7) == "meta 7|1|1\nc0 7|-5:5:shard_1\n");
}

TEST_CASE("an empty map is a meta entry with no chunks") {
  auto entries = EncodeMapEntries({}, 3);
  REQUIRE(entries.size() == 1);
  CHECK(entries[0].second == "3|0|0");
  CheckRoundTrip({}, 3);
}

TEST_CASE("maps of 10, 10k and 100k segments round-trip with every chunk within 8000 bytes") {
  CheckRoundTrip(MakeSegments(10), 1);
  CheckRoundTrip(MakeSegments(10'000, -500'000), 2);
  CheckRoundTrip(MakeSegments(100'000, 4'000'000'000'000), 123456789);
}

TEST_CASE("the int64 bounds survive encoding") {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  CheckRoundTrip({{kMin, -1, "neg"}, {0, kMax, "pos"}}, 1);
}

TEST_CASE("chunks are filled close to the bound, not one segment each") {
  auto entries = EncodeMapEntries(MakeSegments(10'000), 1);
  // ~20 bytes per segment: 10k segments need about 25 chunks of 8000 bytes.
  CHECK(entries.size() < 40);
  for (size_t i = 1; i + 1 < entries.size(); ++i) CHECK(entries[i].second.size() > 7900);
}

TEST_CASE("decoding refuses inconsistent maps and names the entry") {
  using Entries = std::vector<std::pair<std::string, std::string>>;
  CHECK(DecodeMapEntries(Entries{}).ok());
  CHECK(DecodeMapEntries(Entries{{"meta", "2|1|1"}, {"c0", "1|0:1:a"}}).status().message() ==
        "c0: chunk of version 1 in a map of version 2");
  CHECK(DecodeMapEntries(Entries{{"meta", "2|2|1"}, {"c0", "2|0:1:a"}}).status().message() ==
        "meta announces 2 chunks, map has 1");
  CHECK(DecodeMapEntries(Entries{{"meta", "2|1|2"}, {"c0", "2|0:1:a"}}).status().message() ==
        "meta announces 2 segments, chunks hold 1");
  CHECK(DecodeMapEntries(Entries{{"meta", "2|1|1"}, {"c1", "2|0:1:a"}}).status().message() ==
        "chunk c0 is missing");
  CHECK(DecodeMapEntries(Entries{{"meta", "2|1|1"}, {"c0", "2|0:x:a"}}).status().message() ==
        "c0: bad segment '0:x:a'");
  CHECK(DecodeMapEntries(Entries{{"meta", "x"}}).status().code() == Code::kProtocol);
  CHECK(DecodeMapEntries(Entries{{"meta", "1|1|2"}, {"c0", "1|5:9:a,0:3:b"}}).status().code() ==
        Code::kProtocol);
  CHECK(DecodeMapEntries(Entries{{"other", "1"}}).status().message() ==
        "unexpected entry 'other' in a range map");
  CHECK(DecodeMapEntries(Entries{{"c0", "1|0:1:a"}}).status().message() ==
        "chunks without a meta entry");
}

TEST_CASE("a rendered map file parses back into the same map") {
  std::vector<Segment> segments = MakeSegments(500, -20'000);
  Result<std::vector<std::pair<std::string, std::string>>> entries = ParseMapFile(
      "# header\n" + RenderMapFile(segments, 9));
  REQUIRE(entries.ok());
  Result<DecodedMap> decoded = DecodeMapEntries(*entries);
  REQUIRE(decoded.ok());
  CHECK(decoded->segments == segments);
  CHECK(ParseMapFile("meta 1|0|0 extra\n").status().message() ==
        "line 1: expected 'key value', got 3 fields");
}

}  // namespace
}  // namespace shardgate::haproxy
