// URL building for Consul requests.
#include "consul/url.h"

namespace shardgate::consul {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string Escape(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace

std::string EscapePath(std::string_view text) { return Escape(text, /*keep_slash=*/true); }

std::string EscapeComponent(std::string_view text) { return Escape(text, /*keep_slash=*/false); }

QueryString& QueryString::Add(std::string_view name, std::string_view value) {
  Flag(name);
  text_ += '=';
  text_ += EscapeComponent(value);
  return *this;
}

QueryString& QueryString::Flag(std::string_view name) {
  text_ += text_.empty() ? '?' : '&';
  text_ += name;
  return *this;
}

std::string GoDuration(std::chrono::milliseconds duration) {
  return std::to_string(duration.count()) + "ms";
}

std::string_view PathWithoutQuery(std::string_view path) { return path.substr(0, path.find('?')); }

}  // namespace shardgate::consul
