// The range map's str-map encoding (docs/interfaces.md §1).
#include "haproxy/range_map.h"

#include <map>

#include "common/numbers.h"
#include "model/text.h"

namespace shardgate::haproxy {

using model::Segment;

namespace {

std::string SegmentText(const Segment& s) {
  return std::to_string(s.lo) + ":" + std::to_string(s.hi) + ":" + s.shard;
}

// "lo:hi:shard" -> Segment.
bool ParseSegmentText(std::string_view text, Segment* out) {
  size_t c1 = text.find(':');
  if (c1 == std::string_view::npos) return false;
  size_t c2 = text.find(':', c1 + 1);
  if (c2 == std::string_view::npos) return false;
  out->shard = std::string(text.substr(c2 + 1));
  return ParseInteger(text.substr(0, c1), &out->lo) &&
         ParseInteger(text.substr(c1 + 1, c2 - c1 - 1), &out->hi) && model::IsShardName(out->shard);
}

// "<version>|<rest>" -> version and rest.
bool SplitVersion(std::string_view value, uint64_t* version, std::string_view* rest) {
  size_t bar = value.find('|');
  if (bar == std::string_view::npos) return false;
  *rest = value.substr(bar + 1);
  return ParseInteger(value.substr(0, bar), version);
}

}  // namespace

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
  ASSIGN_OR_RETURN(Meta meta, ParseMeta(*meta_value));
  out.version = meta.version;
  if (chunks.size() != meta.nchunks) {
    return ProtocolError("meta announces " + std::to_string(meta.nchunks) + " chunks, map has " +
                         std::to_string(chunks.size()));
  }
  for (uint64_t i = 0; i < meta.nchunks; ++i) {
    auto it = chunks.find(i);
    if (it == chunks.end()) return ProtocolError("chunk c" + std::to_string(i) + " is missing");
    RETURN_IF_ERROR(DecodeChunk("c" + std::to_string(i), *it->second, out.version, &out.segments));
  }
  if (out.segments.size() != meta.nsegments) {
    return ProtocolError("meta announces " + std::to_string(meta.nsegments) +
                         " segments, chunks hold " + std::to_string(out.segments.size()));
  }
  Status valid = model::ValidateSegments(out.segments);
  if (!valid.ok()) return ProtocolError(valid.message());
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseMapFile(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  RETURN_IF_ERROR(model::ForEachLine(text, [&](size_t line_no, std::string_view line) -> Status {
    std::vector<std::string_view> f = model::Fields(line);
    if (f.empty()) return Status::Ok();
    if (f.size() != 2) {
      return InvalidArgument("line " + std::to_string(line_no) + ": expected 'key value', got " +
                             std::to_string(f.size()) + " fields");
    }
    out.emplace_back(std::string(f[0]), std::string(f[1]));
    return Status::Ok();
  }));
  return out;
}

}  // namespace shardgate::haproxy
