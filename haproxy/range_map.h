// The range map: "lo hi shard" text, validation, and the str-map encoding of docs/interfaces.md §1.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace shardgate::haproxy {

// One non-overlapping piece of the flattened routing map: keys lo..hi (inclusive) go to shard.
struct Segment {
  int64_t lo = 0;
  int64_t hi = 0;
  std::string shard;
  bool operator==(const Segment&) const = default;
};

// Name of the str-map entry that carries "<version>|<nchunks>|<nsegments>".
inline constexpr std::string_view kMetaKey = "meta";
// Upper bound of one chunk value in bytes (interfaces.md: fits a 16 KiB buffer with room to spare).
inline constexpr size_t kMaxChunkBytes = 8000;

// Parses "lo hi shard" lines. Accepts '#' comments (whole line or trailing), blank lines and
// negative numbers; rejects anything else with an error naming the line number. Does not
// validate order (see ValidateSegments).
Result<std::vector<Segment>> ParseRangeText(std::string_view text);

// Checks lo <= hi, sorting by lo, no overlap, and the shard charset [A-Za-z0-9_.-]+.
// The error names the offending segment (index and "lo hi shard").
Status ValidateSegments(const std::vector<Segment>& segments);

// The str-map entries, in order: "meta" first, then "c0", "c1", ... Each chunk value is
// "<version>|lo:hi:shard,..." of at most kMaxChunkBytes. REQUIRES: ValidateSegments ok,
// version > 0.
std::vector<std::pair<std::string, std::string>> EncodeMapEntries(
    const std::vector<Segment>& segments, uint64_t version);

// The same entries as a map file: one "key value\n" line each.
std::string RenderMapFile(const std::vector<Segment>& segments, uint64_t version);

// A decoded map: its version (0 when the map has no meta entry) and its segments.
struct DecodedMap {
  uint64_t version = 0;
  std::vector<Segment> segments;
};

// Inverse of EncodeMapEntries, over entries in any order (as `show map` lists them).
// Refuses inconsistent maps (chunk of another version, missing chunk, count mismatch, bad
// segment) with an error naming the entry. No meta entry = empty map, version 0.
Result<DecodedMap> DecodeMapEntries(const std::vector<std::pair<std::string, std::string>>& entries);

// Parses a map file ("key value" lines, '#' comments and blank lines ignored) into entries.
Result<std::vector<std::pair<std::string, std::string>>> ParseMapFile(std::string_view text);

}  // namespace shardgate::haproxy
