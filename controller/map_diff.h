// What a rule change does to the effective map: the key ranges whose owner changes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controller/routing_rules.h"

namespace shardgate::controller {

// Keys lo..hi (inclusive) went from shard `from` to shard `to` (none: no rule covered them).
struct RangeChange {
  int64_t lo = 0;
  int64_t hi = 0;
  std::optional<std::string> from;
  std::optional<std::string> to;
  bool operator==(const RangeChange&) const = default;
};

// The maximal runs of keys whose owner differs between `before` and `after`, sorted by lo;
// adjacent runs with the same from and to are one change. O(n + m) in the segment counts.
// REQUIRES: both segment lists sorted and non-overlapping (as Flatten returns them).
std::vector<RangeChange> EffectiveChange(const FlatMap& before, const FlatMap& after);

}  // namespace shardgate::controller
