// URL building for Consul requests: path escaping for KV keys, query strings, Go durations.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace shardgate::consul {

// Percent-escapes everything except RFC 3986 unreserved characters and '/', so KV keys keep
// their hierarchy in the path ("a b/c?" -> "a%20b/c%3F").
std::string EscapePath(std::string_view text);
// Percent-escapes everything except unreserved characters (for query values and path segments
// such as service or check IDs).
std::string EscapeComponent(std::string_view text);

// Appends "?name=value" / "&name=value" parameters; values are escaped.
class QueryString {
 public:
  QueryString& Add(std::string_view name, std::string_view value);
  // A presence flag such as "recurse" (Consul treats it as true whatever its value).
  QueryString& Flag(std::string_view name);
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

// A Go time.ParseDuration string in milliseconds, e.g. 1500ms -> "1500ms".
std::string GoDuration(std::chrono::milliseconds duration);

// The path without its query string (error messages never show query parameters).
std::string_view PathWithoutQuery(std::string_view path);

}  // namespace shardgate::consul
