// `show stat` CSV parsing (see server_stats.h).
#include "haproxy/server_stats.h"

#include <charconv>
#include <map>

namespace shardgate::haproxy {
namespace {

std::vector<std::string_view> SplitCsv(std::string_view line) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t comma = line.find(',', start);
    out.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos
                                                                     : comma - start));
    if (comma == std::string_view::npos) return out;
    start = comma + 1;
  }
}

template <class T>
bool ParseNumber(std::string_view s, T& out) {
  if (s.empty()) {
    out = 0;  // HAProxy leaves counters that do not apply empty
    return true;
  }
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

}  // namespace

Result<std::vector<ServerStat>> ParseServerStats(std::string_view csv) {
  std::vector<ServerStat> out;
  std::map<std::string, size_t, std::less<>> column;
  size_t line_no = 0;
  while (!csv.empty()) {
    size_t nl = csv.find('\n');
    std::string_view line = csv.substr(0, nl);
    csv = nl == std::string_view::npos ? std::string_view() : csv.substr(nl + 1);
    ++line_no;
    if (line.empty()) continue;
    if (line.starts_with("# ")) {
      std::vector<std::string_view> names = SplitCsv(line.substr(2));
      for (size_t i = 0; i < names.size(); ++i) column[std::string(names[i])] = i;
      for (const char* need : {"pxname", "svname", "scur", "status", "weight"}) {
        if (!column.contains(need)) {
          return ProtocolError(std::string("show stat: no \"") + need + "\" column");
        }
      }
      continue;
    }
    if (column.empty()) return ProtocolError("show stat: data before the header line");
    std::vector<std::string_view> f = SplitCsv(line);
    if (f.size() <= column["weight"] || f.size() <= column["scur"] ||
        f.size() <= column["status"]) {
      return ProtocolError("show stat: line " + std::to_string(line_no) + " is short");
    }
    std::string_view sv = f[column["svname"]];
    if (sv == "FRONTEND" || sv == "BACKEND") continue;
    ServerStat s;
    s.backend = std::string(f[column["pxname"]]);
    s.server = std::string(sv);
    s.status = std::string(f[column["status"]]);
    if (!ParseNumber(f[column["weight"]], s.weight) ||
        !ParseNumber(f[column["scur"]], s.sessions)) {
      return ProtocolError("show stat: line " + std::to_string(line_no) +
                           ": weight or scur is not a number");
    }
    out.push_back(std::move(s));
  }
  if (column.empty()) return ProtocolError("show stat: no header line");
  return out;
}

}  // namespace shardgate::haproxy
