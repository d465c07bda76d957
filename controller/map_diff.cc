// EffectiveChange: one sweep over both maps' segments (see map_diff.h).
#include "controller/map_diff.h"

#include <algorithm>
#include <limits>

namespace shardgate::controller {
namespace {

// Positions run up to INT64_MAX + 1 (one past the last key), so they need one more bit.
__extension__ typedef __int128 Wide;

constexpr Wide kKeyMin = std::numeric_limits<int64_t>::min();
constexpr Wide kKeyMax = std::numeric_limits<int64_t>::max();

// Walks one map's segments in key order, answering who owns a position and until where.
class Cursor {
 public:
  explicit Cursor(const std::vector<model::Segment>& segments) : segments_(segments) {}

  // The owner of key `at` (none in a gap) and the last key of the run it starts, within which
  // the owner stays the same. REQUIRES: `at` never decreases between calls.
  const std::string* OwnerAt(Wide at, Wide* run_end) {
    while (next_ < segments_.size() && Wide(segments_[next_].hi) < at) ++next_;
    if (next_ == segments_.size()) {
      *run_end = kKeyMax;
      return nullptr;
    }
    const model::Segment& segment = segments_[next_];
    if (Wide(segment.lo) > at) {
      *run_end = Wide(segment.lo) - 1;
      return nullptr;
    }
    *run_end = segment.hi;
    return &segment.shard;
  }

 private:
  const std::vector<model::Segment>& segments_;
  size_t next_ = 0;
};

std::optional<std::string> Owner(const std::string* shard) {
  return shard ? std::optional<std::string>(*shard) : std::nullopt;
}

bool SameOwner(const std::string* a, const std::string* b) {
  if (a == nullptr || b == nullptr) return a == b;
  return *a == *b;
}

// Appends [lo, hi] from -> to, extending the last change when it touches and agrees.
void Add(std::vector<RangeChange>& out, Wide lo, Wide hi, const std::string* from,
         const std::string* to) {
  if (!out.empty() && Wide(out.back().hi) + 1 == lo && out.back().from == Owner(from) &&
      out.back().to == Owner(to)) {
    out.back().hi = int64_t(hi);
    return;
  }
  out.push_back({int64_t(lo), int64_t(hi), Owner(from), Owner(to)});
}

}  // namespace

std::vector<RangeChange> EffectiveChange(const FlatMap& before, const FlatMap& after) {
  std::vector<RangeChange> out;
  Cursor old_map(before.segments);
  Cursor new_map(after.segments);
  // Each step ends at a segment edge of one of the maps, so there are O(n + m) steps.
  for (Wide at = kKeyMin; at <= kKeyMax;) {
    Wide old_end = 0;
    Wide new_end = 0;
    const std::string* from = old_map.OwnerAt(at, &old_end);
    const std::string* to = new_map.OwnerAt(at, &new_end);
    Wide end = std::min(old_end, new_end);
    if (!SameOwner(from, to)) Add(out, at, end, from, to);
    at = end + 1;
  }
  return out;
}

}  // namespace shardgate::controller
