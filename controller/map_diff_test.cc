// EffectiveChange: hand-picked cases, the int64 extremes, and random maps against a per-key
// comparison.
#include "controller/map_diff.h"

#include <doctest/doctest.h>

#include <limits>
#include <random>

namespace shardgate::controller {
namespace {

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

FlatMap Map(std::vector<model::Segment> segments) { return FlatMap{std::move(segments), {}}; }

TEST_CASE("the same map twice changes nothing") {
  FlatMap map = Map({{0, 9, "a"}, {20, 29, "b"}});
  CHECK(EffectiveChange(map, map).empty());
  CHECK(EffectiveChange(FlatMap{}, FlatMap{}).empty());
}

TEST_CASE("a rule over part of a range moves only that part") {
  std::vector<RangeChange> want = {{1000, 2000, "shard_1", "shard_3"}};
  CHECK(EffectiveChange(
            Map({{0, 4999, "shard_1"}}),
            Map({{0, 999, "shard_1"}, {1000, 2000, "shard_3"}, {2001, 4999, "shard_1"}})) == want);
}

TEST_CASE("keys gained or lost show a missing owner") {
  std::vector<RangeChange> want = {{-5, -1, std::nullopt, "a"}, {10, 19, "a", std::nullopt}};
  CHECK(EffectiveChange(Map({{0, 19, "a"}}), Map({{-5, 9, "a"}})) == want);
}

TEST_CASE("touching runs with the same from and to are one change, even across segments") {
  // before: a a | b ; after: c over all. Changes a->c and b->c stay apart; an unmerged "c" in
  // after does not split a->c.
  std::vector<RangeChange> want = {{0, 19, "a", "c"}, {20, 29, "b", "c"}};
  CHECK(EffectiveChange(Map({{0, 9, "a"}, {10, 19, "a"}, {20, 29, "b"}}),
                        Map({{0, 4, "c"}, {5, 29, "c"}})) == want);
}

TEST_CASE("changes at both ends of the key space do not overflow") {
  FlatMap all_a = Map({{kMin, kMax, "a"}});
  CHECK(EffectiveChange(FlatMap{}, all_a) ==
        std::vector<RangeChange>{{kMin, kMax, std::nullopt, "a"}});
  CHECK(EffectiveChange(all_a,
                        Map({{kMin, kMin, "b"}, {kMin + 1, kMax - 1, "a"}, {kMax, kMax, "b"}})) ==
        std::vector<RangeChange>{{kMin, kMin, "a", "b"}, {kMax, kMax, "a", "b"}});
  CHECK(EffectiveChange(Map({{kMax, kMax, "a"}}), FlatMap{}) ==
        std::vector<RangeChange>{{kMax, kMax, "a", std::nullopt}});
}

// A random map over keys 0..39 with gaps, made of short segments of three shards.
FlatMap RandomMap(std::mt19937& rng) {
  std::vector<model::Segment> segments;
  std::uniform_int_distribution<int> len(1, 6), shard(0, 3);
  for (int64_t at = 0; at < 40;) {
    int64_t hi = std::min<int64_t>(at + len(rng) - 1, 39);
    int s = shard(rng);
    if (s < 3) segments.push_back({at, hi, std::string(1, char('a' + s))});
    at = hi + 1;
  }
  return Map(std::move(segments));
}

std::optional<std::string> OwnerOf(const FlatMap& map, int64_t key) {
  for (const model::Segment& s : map.segments) {
    if (s.lo <= key && key <= s.hi) return s.shard;
  }
  return std::nullopt;
}

TEST_CASE("random maps: changes cover exactly the keys whose owner differs, maximally merged") {
  std::mt19937 rng(20261130);
  for (int round = 0; round < 2000; ++round) {
    FlatMap before = RandomMap(rng);
    FlatMap after = RandomMap(rng);
    std::vector<RangeChange> got = EffectiveChange(before, after);
    // Brute force: walk the keys one by one, starting a new change whenever the pair changes.
    std::vector<RangeChange> want;
    for (int64_t key = -2; key < 42; ++key) {
      std::optional<std::string> from = OwnerOf(before, key), to = OwnerOf(after, key);
      if (from == to) continue;
      if (!want.empty() && want.back().hi + 1 == key && want.back().from == from &&
          want.back().to == to) {
        want.back().hi = key;
      } else {
        want.push_back({key, key, from, to});
      }
    }
    REQUIRE(got == want);
  }
}

}  // namespace
}  // namespace shardgate::controller
