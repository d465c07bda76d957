// Whole-string integer parsing: "42" is a number, " 42", "+42", "42x" and "" are not.
#pragma once

#include <charconv>
#include <string_view>
#include <type_traits>

namespace shardgate {

// Parses all of `text` as an integer of type T in `base` (10, or 16 without "0x"): digits only,
// with a leading '-' for signed types; no blanks, no '+', no overflow. Sets *out and returns
// true, or returns false and leaves *out alone (callers name the input in their own message).
// Thread-safety: a pure function.
template <typename T>
bool ParseInteger(std::string_view text, T* out, int base = 10) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  T value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || ec != std::errc() || ptr != end) return false;
  *out = value;
  return true;
}

}  // namespace shardgate
