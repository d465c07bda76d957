// Text checks shared by the model's codecs: names and decimal integers, strict and allocation-free.
#pragma once

#include <charconv>
#include <cstddef>
#include <string_view>
#include <system_error>

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

}  // namespace shardgate::model
