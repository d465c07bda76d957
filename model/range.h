// The range model: segments of the flattened routing map, their "lo hi shard" text, and the
// rules a map must follow (sorted, not overlapping, shard names). HAProxy's encoding of a map
// is haproxy/range_map.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"

namespace shardgate::model {

// One non-overlapping piece of the flattened routing map: keys lo..hi (inclusive) go to shard.
struct Segment {
  int64_t lo = 0;
  int64_t hi = 0;
  std::string shard;
  bool operator==(const Segment&) const = default;
};

// Shard names end up in map values and backend names; keep them short enough that one segment
// always fits in a map chunk with plenty of room.
inline constexpr size_t kMaxShardNameBytes = 128;

// [A-Za-z0-9_.-]+ of at most kMaxShardNameBytes.
bool IsShardName(std::string_view name);

// Parses "lo hi shard" lines. Accepts '#' comments (whole line or trailing), blank lines and
// negative numbers; rejects anything else with an error naming the line number. Does not
// validate order (see ValidateSegments).
Result<std::vector<Segment>> ParseRangeText(std::string_view text);

// Checks lo <= hi, sorting by lo, no overlap, and the shard charset [A-Za-z0-9_.-]+.
// The error names the offending segment (index and "lo hi shard").
Status ValidateSegments(const std::vector<Segment>& segments);

}  // namespace shardgate::model
