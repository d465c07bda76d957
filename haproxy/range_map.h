// The range map's encoding as HAProxy str-map entries (docs/interfaces.md §1). The segments
// themselves, their text form and validation are the range model (model/range.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "model/range.h"

namespace shardgate::haproxy {

// Name of the str-map entry that carries "<version>|<nchunks>|<nsegments>".
inline constexpr std::string_view kMetaKey = "meta";
// Upper bound of one chunk value in bytes (interfaces.md: fits a 16 KiB buffer with room to spare).
inline constexpr size_t kMaxChunkBytes = 8000;

// The str-map entries, in order: "meta" first, then "c0", "c1", ... Each chunk value is
// "<version>|lo:hi:shard,..." of at most kMaxChunkBytes. REQUIRES: model::ValidateSegments ok,
// version > 0.
std::vector<std::pair<std::string, std::string>> EncodeMapEntries(
    const std::vector<model::Segment>& segments, uint64_t version);

// The same entries as a map file: one "key value\n" line each.
std::string RenderMapFile(const std::vector<model::Segment>& segments, uint64_t version);

// A decoded map: its version (0 when the map has no meta entry) and its segments.
struct DecodedMap {
  uint64_t version = 0;
  std::vector<model::Segment> segments;
};

// Inverse of EncodeMapEntries, over entries in any order (as `show map` lists them).
// Refuses inconsistent maps (chunk of another version, missing chunk, count mismatch, bad
// segment) with an error naming the entry. No meta entry = empty map, version 0.
Result<DecodedMap> DecodeMapEntries(
    const std::vector<std::pair<std::string, std::string>>& entries);

// Parses a map file ("key value" lines, '#' comments and blank lines ignored) into entries.
Result<std::vector<std::pair<std::string, std::string>>> ParseMapFile(std::string_view text);

}  // namespace shardgate::haproxy
