// Text helpers shared by the model's codecs and HAProxy's map encoding: names, decimal
// integers, and the line/field splitting of the line-based formats.
#pragma once

#include <charconv>
#include <cstddef>
#include <string_view>
#include <system_error>
#include <vector>

#include "common/status.h"

namespace shardgate::model {

// True when `text` matches [A-Za-z0-9_.-]+ and has at most `max_bytes` bytes: the names of
// clusters, shards and nodes, which end up in service IDs, map values and backend names.
inline bool IsName(std::string_view text, size_t max_bytes = std::string_view::npos) {
  if (text.empty() || text.size() > max_bytes) return false;
  for (char c : text) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// Parses the whole of `text` as a base-10 integer of type T. Rejects empty text, '+', blanks,
// trailing bytes, a '-' for unsigned types, and values out of T's range.
template <typename T>
bool ParseDecimal(std::string_view text, T* out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

inline bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Splits `line` on runs of blanks (space, tab, CR).
inline std::vector<std::string_view> Fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && IsBlank(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !IsBlank(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

// Calls fn(line_number, line) for each line of `text` with any '#' comment stripped; stops at
// (and returns) the first error fn returns.
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

}  // namespace shardgate::model
