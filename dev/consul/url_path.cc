// Consul's printable-path filter and Go's ServeMux path cleaning (see url_path.h).
#include "dev/consul/url_path.h"

#include <cctype>
#include <cstdint>
#include <vector>

namespace shardgate::consul::dev {
namespace {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes the UTF-8 sequence at `*i` like Go's range loop: an invalid byte is U+FFFD, one
// byte long.
char32_t NextRune(std::string_view s, size_t* i) {
  const auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  const uint8_t b0 = byte(*i);
  size_t len = b0 < 0x80           ? 1
               : (b0 >> 5) == 0x6  ? 2
               : (b0 >> 4) == 0xE  ? 3
               : (b0 >> 3) == 0x1E ? 4
                                   : 0;
  if (len == 1) return s[(*i)++];
  if (len == 0 || *i + len > s.size()) {
    ++*i;
    return kReplacement;
  }
  char32_t r = b0 & (0x7F >> len);
  for (size_t k = 1; k < len; ++k) {
    if ((byte(*i + k) & 0xC0) != 0x80) {
      ++*i;
      return kReplacement;
    }
    r = (r << 6) | (byte(*i + k) & 0x3F);
  }
  const char32_t min = len == 2 ? 0x80 : len == 3 ? 0x800 : 0x10000;
  if (r < min || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
    ++*i;
    return kReplacement;
  }
  *i += len;
  return r;
}

// Categories Cc, Zs (except U+0020), Zl, Zp, Cf and Co: what unicode.IsPrint refuses among
// assigned code points.
bool IsPrint(char32_t r) {
  if (r < 0x20 || (r >= 0x7F && r <= 0xA0)) return false;
  struct Range {
    char32_t lo, hi;
  };
  static constexpr Range kNotPrint[] = {{0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},
                                        {0x06DD, 0x06DD},   {0x070F, 0x070F},   {0x0890, 0x0891},
                                        {0x08E2, 0x08E2},   {0x1680, 0x1680},   {0x180E, 0x180E},
                                        {0x2000, 0x200F},   {0x2028, 0x202F},   {0x205F, 0x2064},
                                        {0x2066, 0x206F},   {0x3000, 0x3000},   {0xD800, 0xF8FF},
                                        {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},
                                        {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3},
                                        {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
                                        {0xF0000, 0x10FFFF}};
  for (const Range& range : kNotPrint) {
    if (r >= range.lo && r <= range.hi) return false;
  }
  return true;
}

}  // namespace

bool PathIsPrintable(std::string_view path) {
  for (size_t i = 0; i < path.size();) {
    if (!IsPrint(NextRune(path, &i))) return false;
  }
  return true;
}

std::string CleanPath(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> out;
  for (size_t start = 0; start <= path.size();) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const std::string_view seg = path.substr(start, end - start);
    if (seg == "..") {
      if (!out.empty()) out.pop_back();
    } else if (!seg.empty() && seg != ".") {
      out.push_back(seg);
    }
    start = end + 1;
  }
  std::string clean = "/";
  for (size_t k = 0; k < out.size(); ++k) {
    if (k > 0) clean += '/';
    clean += out[k];
  }
  // Go puts back a trailing slash that path.Clean removed, unless the result is "/".
  const bool trailing = path.back() == '/';
  if (trailing && clean != "/") clean += '/';
  return clean;
}

std::string EscapePath(std::string_view path) {
  static constexpr std::string_view kKeep = "-_.~$&+,/:;=@";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || kKeep.find(static_cast<char>(c)) != std::string_view::npos) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

}  // namespace shardgate::consul::dev
