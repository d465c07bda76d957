// The range map: "lo hi shard" text, validation, and the str-map encoding of docs/interfaces.md §1.
#include "haproxy/range_map.h"

#include <map>

#include "common/numbers.h"

namespace shardgate::haproxy {
namespace {

// Shard names end up in map values and backend names; keep them short enough that one segment
// always fits in a chunk with plenty of room.
constexpr size_t kMaxShardNameBytes = 128;

bool IsShardName(std::string_view name) {
  if (name.empty() || name.size() > kMaxShardNameBytes) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Splits on runs of blanks.
std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsSpace(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Calls fn(line_number, line) for each line with comments stripped.
template <typename Fn>
Status ForEachLine(std::string_view text, Fn fn) {
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    Status s = fn(line_no, line);
    if (!s.ok()) return s;
  }
  return Status::Ok();
}

std::string SegmentText(const Segment& s) {
  return std::to_string(s.lo) + ":" + std::to_string(s.hi) + ":" + s.shard;
}

std::string Describe(const Segment& s) {
  return "'" + std::to_string(s.lo) + " " + std::to_string(s.hi) + " " + s.shard + "'";
}

// "lo:hi:shard" -> Segment.
bool ParseSegmentText(std::string_view text, Segment* out) {
  size_t c1 = text.find(':');
  if (c1 == std::string_view::npos) return false;
  size_t c2 = text.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return false;
  out->shard = std::string(text.substr(c2 + 1));
  return ParseInteger(text.substr(0, c1), &out->lo) &&
         ParseInteger(text.substr(c1 + 1, c2 - c1 - 1), &out->hi) && IsShardName(out->shard);
}

// "<version>|<rest>" -> version and rest.
bool SplitVersion(std::string_view value, uint64_t* version, std::string_view* rest) {
  size_t bar = value.find('|');
  if (bar == std::string_view::npos) return false;
  *rest = value.substr(bar + 1);
  return ParseInteger(value.substr(0, bar), version);
}

}  // namespace

Result<std::vector<Segment>> ParseRangeText(std::string_view text) {
  std::vector<Segment> out;
  Status s = ForEachLine(text, [&](size_t line_no, std::string_view line) -> Status {
    std::vector<std::string_view> f = Fields(line);
    if (f.empty()) return Status::Ok();
    std::string where = "line " + std::to_string(line_no) + ": ";
    if (f.size() != 3) {
      return InvalidArgument(where + "expected 'lo hi shard', got " + std::to_string(f.size()) +
                             " fields");
    }
    Segment seg;
    if (!ParseInteger(f[0], &seg.lo)) {
      return InvalidArgument(where + "lo '" + std::string(f[0]) + "' is not a signed 64-bit integer");
    }
    if (!ParseInteger(f[1], &seg.hi)) {
      return InvalidArgument(where + "hi '" + std::string(f[1]) + "' is not a signed 64-bit integer");
    }
    seg.shard = std::string(f[2]);
    if (!IsShardName(seg.shard)) {
      return InvalidArgument(where + "shard '" + seg.shard +
                             "' must match [A-Za-z0-9_.-]+ (at most 128 bytes)");
    }
    out.push_back(std::move(seg));
    return Status::Ok();
  });
  if (!s.ok()) return s;
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

std::vector<std::pair<std::string, std::string>> EncodeMapEntries(
    const std::vector<Segment>& segments, uint64_t version) {
  const std::string prefix = std::to_string(version) + "|";
  std::vector<std::string> chunks;
  std::string current = prefix;
  for (const Segment& seg : segments) {
    std::string text = SegmentText(seg);
    bool first = current.size() == prefix.size();
    if (!first && current.size() + 1 + text.size() > kMaxChunkBytes) {
      chunks.push_back(std::move(current));
      current = prefix;
      first = true;
    }
    if (!first) current += ',';
    current += text;
  }
  if (current.size() > prefix.size()) chunks.push_back(std::move(current));

  std::vector<std::pair<std::string, std::string>> entries;
  entries.reserve(chunks.size() + 1);
  entries.emplace_back(std::string(kMetaKey), prefix + std::to_string(chunks.size()) + "|" +
                                                  std::to_string(segments.size()));
  for (size_t i = 0; i < chunks.size(); ++i) {
    entries.emplace_back("c" + std::to_string(i), std::move(chunks[i]));
  }
  return entries;
}

std::string RenderMapFile(const std::vector<Segment>& segments, uint64_t version) {
  std::string out;
  for (const auto& [key, value] : EncodeMapEntries(segments, version)) {
    out += key;
    out += ' ';
    out += value;
    out += '\n';
  }
  return out;
}

namespace {

struct Meta {
  uint64_t version = 0;
  uint64_t nchunks = 0;
  uint64_t nsegments = 0;
};

Result<Meta> ParseMeta(std::string_view value) {
  Meta m;
  std::string_view rest;
  size_t bar = 0;
  bool ok = SplitVersion(value, &m.version, &rest) && m.version > 0 &&
            (bar = rest.find('|')) != std::string_view::npos &&
            ParseInteger(rest.substr(0, bar), &m.nchunks) &&
            ParseInteger(rest.substr(bar + 1), &m.nsegments);
  if (!ok) {
    return ProtocolError("meta '" + std::string(value) +
                         "' is not '<version>|<nchunks>|<nsegments>'");
  }
  return m;
}

// Appends the segments of chunk `key` to `out`.
Status DecodeChunk(std::string_view key, std::string_view value, uint64_t version,
                   std::vector<Segment>* out) {
  uint64_t chunk_version = 0;
  std::string_view body;
  if (!SplitVersion(value, &chunk_version, &body)) {
    return ProtocolError(std::string(key) + ": value does not start with '<version>|'");
  }
  if (chunk_version != version) {
    return ProtocolError(std::string(key) + ": chunk of version " + std::to_string(chunk_version) +
                         " in a map of version " + std::to_string(version));
  }
  while (!body.empty()) {
    size_t comma = body.find(',');
    std::string_view item = body.substr(0, comma);
    body = comma == std::string_view::npos ? std::string_view() : body.substr(comma + 1);
    Segment seg;
    if (!ParseSegmentText(item, &seg)) {
      return ProtocolError(std::string(key) + ": bad segment '" + std::string(item) + "'");
    }
    out->push_back(std::move(seg));
  }
  return Status::Ok();
}

}  // namespace

Result<DecodedMap> DecodeMapEntries(
    const std::vector<std::pair<std::string, std::string>>& entries) {
  const std::string* meta_value = nullptr;
  std::map<uint64_t, const std::string*> chunks;
  for (const auto& [key, value] : entries) {
    uint64_t index = 0;
    if (key == kMetaKey) {
      meta_value = &value;
    } else if (key.size() > 1 && key[0] == 'c' && ParseInteger(key.substr(1), &index)) {
      if (!chunks.emplace(index, &value).second) return ProtocolError("duplicate entry " + key);
    } else {
      return ProtocolError("unexpected entry '" + key + "' in a range map");
    }
  }
  DecodedMap out;
  if (meta_value == nullptr) {
    if (!chunks.empty()) return ProtocolError("chunks without a meta entry");
    return out;
  }
  Result<Meta> meta = ParseMeta(*meta_value);
  if (!meta.ok()) return meta.status();
  out.version = meta->version;
  if (chunks.size() != meta->nchunks) {
    return ProtocolError("meta announces " + std::to_string(meta->nchunks) + " chunks, map has " +
                         std::to_string(chunks.size()));
  }
  for (uint64_t i = 0; i < meta->nchunks; ++i) {
    auto it = chunks.find(i);
    if (it == chunks.end()) return ProtocolError("chunk c" + std::to_string(i) + " is missing");
    Status s = DecodeChunk("c" + std::to_string(i), *it->second, out.version, &out.segments);
    if (!s.ok()) return s;
  }
  if (out.segments.size() != meta->nsegments) {
    return ProtocolError("meta announces " + std::to_string(meta->nsegments) +
                         " segments, chunks hold " + std::to_string(out.segments.size()));
  }
  Status valid = ValidateSegments(out.segments);
  if (!valid.ok()) return ProtocolError(valid.message());
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseMapFile(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  Status s = ForEachLine(text, [&](size_t line_no, std::string_view line) -> Status {
    std::vector<std::string_view> f = Fields(line);
    if (f.empty()) return Status::Ok();
    if (f.size() != 2) {
      return InvalidArgument("line " + std::to_string(line_no) + ": expected 'key value', got " +
                             std::to_string(f.size()) + " fields");
    }
    out.emplace_back(std::string(f[0]), std::string(f[1]));
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace shardgate::haproxy
