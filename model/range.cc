// The range model: "lo hi shard" text and the validation of a flattened map.
#include "model/range.h"

#include "model/text.h"

namespace shardgate::model {
namespace {

std::string Describe(const Segment& s) {
  return "'" + std::to_string(s.lo) + " " + std::to_string(s.hi) + " " + s.shard + "'";
}

// One "lo hi shard" line, already split into fields; `where` prefixes every error.
Result<Segment> ParseRangeLine(const std::vector<std::string_view>& f, const std::string& where) {
  if (f.size() != 3) {
    return InvalidArgument(where + "expected 'lo hi shard', got " + std::to_string(f.size()) +
                           " fields");
  }
  Segment seg;
  if (!ParseDecimal(f[0], &seg.lo)) {
    return InvalidArgument(where + "lo '" + std::string(f[0]) + "' is not a signed 64-bit integer");
  }
  if (!ParseDecimal(f[1], &seg.hi)) {
    return InvalidArgument(where + "hi '" + std::string(f[1]) + "' is not a signed 64-bit integer");
  }
  seg.shard = std::string(f[2]);
  if (!IsShardName(seg.shard)) {
    return InvalidArgument(where + "shard '" + seg.shard +
                           "' must match [A-Za-z0-9_.-]+ (at most 128 bytes)");
  }
  return seg;
}

}  // namespace

bool IsShardName(std::string_view name) { return IsName(name, kMaxShardNameBytes); }

Result<std::vector<Segment>> ParseRangeText(std::string_view text) {
  std::vector<Segment> out;
  RETURN_IF_ERROR(ForEachLine(text, [&](size_t line_no, std::string_view line) -> Status {
    std::vector<std::string_view> f = Fields(line);
    if (f.empty()) return Status::Ok();
    ASSIGN_OR_RETURN(Segment seg, ParseRangeLine(f, "line " + std::to_string(line_no) + ": "));
    out.push_back(std::move(seg));
    return Status::Ok();
  }));
  return out;
}

Status ValidateSegments(const std::vector<Segment>& segments) {
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& seg = segments[i];
    std::string where = "segment " + std::to_string(i) + " " + Describe(seg) + ": ";
    if (!IsShardName(seg.shard)) {
      return InvalidArgument(where + "shard must match [A-Za-z0-9_.-]+ (at most 128 bytes)");
    }
    if (seg.lo > seg.hi) return InvalidArgument(where + "lo is greater than hi");
    if (i == 0) continue;
    const Segment& prev = segments[i - 1];
    if (seg.lo < prev.lo) {
      return InvalidArgument(where + "not sorted: starts before segment " + std::to_string(i - 1) +
                             " " + Describe(prev));
    }
    if (seg.lo <= prev.hi) {
      return InvalidArgument(where + "overlaps segment " + std::to_string(i - 1) + " " +
                             Describe(prev));
    }
  }
  return Status::Ok();
}

}  // namespace shardgate::model
