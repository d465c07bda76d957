// Text helpers shared by the model's codecs and HAProxy's map encoding: names and the
// line/field splitting of the line-based formats (integers: common/numbers.h).
#pragma once

#include <cstddef>
#include <string_view>
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

// Calls fn(line_number, line) for each line of `text` as it is (no comment handling); stops at
// (and returns) the first error fn returns.
template <typename Fn>
Status ForEachRawLine(std::string_view text, Fn fn) {
  size_t line_no = 0;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    RETURN_IF_ERROR(fn(++line_no, line));
  }
  return Status::Ok();
}

// Calls fn(line_number, line) for each line of `text` with any '#' comment stripped; stops at
// (and returns) the first error fn returns.
template <typename Fn>
Status ForEachLine(std::string_view text, Fn fn) {
  return ForEachRawLine(text, [&fn](size_t line_no, std::string_view line) -> Status {
    if (size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    return fn(line_no, line);
  });
}

}  // namespace shardgate::model
