// `show stat` CSV parsing (see server_stats.h).
#include "haproxy/server_stats.h"

#include <charconv>
#include <map>

#include "model/text.h"

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

using Columns = std::map<std::string, size_t, std::less<>>;

Status ReadHeader(std::string_view names_text, Columns& column) {
  std::vector<std::string_view> names = SplitCsv(names_text);
  for (size_t i = 0; i < names.size(); ++i) column[std::string(names[i])] = i;
  for (const char* need : {"pxname", "svname", "scur", "status", "weight"}) {
    if (!column.contains(need)) {
      return ProtocolError(std::string("show stat: no \"") + need + "\" column");
    }
  }
  return Status::Ok();
}

// One CSV row; frontend and backend rows are skipped.
Status ReadRow(std::string_view line, size_t line_no, Columns& column,
               std::vector<ServerStat>& out) {
  std::vector<std::string_view> f = SplitCsv(line);
  if (f.size() <= column["weight"] || f.size() <= column["scur"] || f.size() <= column["status"]) {
    return ProtocolError("show stat: line " + std::to_string(line_no) + " is short");
  }
  std::string_view sv = f[column["svname"]];
  if (sv == "FRONTEND" || sv == "BACKEND") return Status::Ok();
  ServerStat s;
  s.backend = std::string(f[column["pxname"]]);
  s.server = std::string(sv);
  s.status = std::string(f[column["status"]]);
  if (!ParseNumber(f[column["weight"]], s.weight) || !ParseNumber(f[column["scur"]], s.sessions)) {
    return ProtocolError("show stat: line " + std::to_string(line_no) +
                         ": weight or scur is not a number");
  }
  out.push_back(std::move(s));
  return Status::Ok();
}

}  // namespace

Result<std::vector<ServerStat>> ParseServerStats(std::string_view csv) {
  std::vector<ServerStat> out;
  Columns column;
  Status parsed = model::ForEachRawLine(csv, [&](size_t line_no, std::string_view line) {
    if (line.empty()) return Status::Ok();
    if (line.starts_with("# ")) return ReadHeader(line.substr(2), column);
    if (column.empty()) return ProtocolError("show stat: data before the header line");
    return ReadRow(line, line_no, column, out);
  });
  RETURN_IF_ERROR(parsed);
  if (column.empty()) return ProtocolError("show stat: no header line");
  return out;
}

}  // namespace shardgate::haproxy
