// Parsers of HAProxy 2.6 runtime-API replies: pure functions over captured text
// (haproxy/testdata/).
#include "haproxy/replies.h"

#include <array>
#include <map>

#include "common/numbers.h"

namespace shardgate::haproxy {
namespace {

// Sentences HAProxy 2.6 prints when a state-changing command succeeded.
constexpr std::array<std::string_view, 6> kSuccessPrefixes = {
    "New server registered.", "Server deleted.",   "New version created:",
    "IP changed from",        "port changed from", "no need to change",
};

// Sentences that mean "the thing named does not exist" (the last two: `set map` and `del map`
// of a key the map does not hold).
constexpr std::array<std::string_view, 7> kNotFoundPrefixes = {
    "No such backend.", "No such server.",  "Can't find backend.", "Unknown map identifier",
    "No such map",      "entry not found.", "Key not found.",
};

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\n' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string_view FirstLine(std::string_view s) {
  s = Trim(s);
  return s.substr(0, s.find('\n'));
}

// The command as shown in messages: its first line, shortened (payloads are not repeated).
std::string ShowCommand(std::string_view command) {
  std::string_view line = command.substr(0, command.find('\n'));
  if (line.size() > 160) return std::string(line.substr(0, 160)) + "...";
  return std::string(line);
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    lines.push_back(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  }
  return lines;
}

std::vector<std::string_view> SplitSpaces(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

Status Unexpected(std::string_view what, std::string_view reply) {
  return ProtocolError("unexpected " + std::string(what) + " reply: '" +
                       std::string(FirstLine(reply)) + "'");
}

}  // namespace

bool IsMissingMapKeyReply(std::string_view reply) {
  std::string_view text = Trim(reply);
  return text == "entry not found." || text == "Key not found.";
}

Status CheckCommandReply(std::string_view command, std::string_view reply) {
  std::string_view text = Trim(reply);
  if (text.empty()) return Status::Ok();
  for (std::string_view p : kSuccessPrefixes) {
    if (StartsWith(text, p)) return Status::Ok();
  }
  std::string message = "'" + ShowCommand(command) + "' failed: " + std::string(FirstLine(text));
  for (std::string_view p : kNotFoundPrefixes) {
    if (StartsWith(text, p)) return NotFound(message);
  }
  if (StartsWith(text, "Permission denied")) return PermissionDenied(message);
  if (StartsWith(text, "Unknown command")) return ProtocolError(message);
  return InvalidArgument(message);
}

Status CheckQueryReply(std::string_view command, std::string_view reply) {
  std::string_view text = Trim(reply);
  bool is_error = StartsWith(text, "Permission denied") || StartsWith(text, "Unknown command");
  for (std::string_view p : kNotFoundPrefixes) is_error = is_error || StartsWith(text, p);
  return is_error ? CheckCommandReply(command, reply) : Status::Ok();
}

Result<ProcessInfo> ParseShowInfo(std::string_view reply) {
  std::map<std::string_view, std::string_view> fields;
  for (std::string_view line : SplitLines(reply)) {
    size_t colon = line.find(": ");
    if (colon != std::string_view::npos) fields[line.substr(0, colon)] = line.substr(colon + 2);
  }
  ProcessInfo info;
  auto pid = fields.find("Pid");
  auto uptime = fields.find("Uptime_sec");
  auto version = fields.find("Version");
  if (pid == fields.end() || uptime == fields.end() || version == fields.end()) {
    return Unexpected("show info (no Pid, Uptime_sec or Version)", reply);
  }
  if (!ParseInteger(pid->second, &info.pid) || !ParseInteger(uptime->second, &info.uptime_sec)) {
    return Unexpected("show info (Pid or Uptime_sec not a number)", reply);
  }
  info.version = std::string(version->second);
  return info;
}

namespace {

// Column positions of the fields we read, found by name in the "# be_id be_name ..." header so
// that columns added by later HAProxy versions do not break parsing.
struct StateColumns {
  size_t count = 0;
  std::map<std::string_view, size_t> index;
};

constexpr std::array<std::string_view, 15> kStateColumns = {
    "be_id",           "be_name",          "srv_id",           "srv_name",
    "srv_addr",        "srv_op_state",     "srv_admin_state",  "srv_uweight",
    "srv_iweight",     "srv_check_status", "srv_check_result", "srv_check_health",
    "srv_check_state", "srv_fqdn",         "srv_port"};

Result<StateColumns> ParseStateHeader(std::string_view line) {
  std::vector<std::string_view> names = SplitSpaces(line);
  if (names.empty() || names[0] != "#") return Unexpected("show servers state header", line);
  StateColumns cols;
  cols.count = names.size() - 1;
  for (size_t i = 1; i < names.size(); ++i) cols.index[names[i]] = i - 1;
  for (std::string_view needed : kStateColumns) {
    if (!cols.index.count(needed)) {
      return ProtocolError("show servers state header lacks column " + std::string(needed));
    }
  }
  return cols;
}

Result<ServerState> ParseStateLine(std::string_view line, const StateColumns& cols) {
  std::vector<std::string_view> f = SplitSpaces(line);
  if (f.size() != cols.count) {
    return ProtocolError("show servers state line has " + std::to_string(f.size()) +
                         " columns, header has " + std::to_string(cols.count) + ": '" +
                         std::string(line) + "'");
  }
  auto col = [&](std::string_view name) { return f[cols.index.at(name)]; };
  ServerState s;
  s.backend = std::string(col("be_name"));
  s.server = std::string(col("srv_name"));
  s.addr = std::string(col("srv_addr"));
  s.fqdn = std::string(col("srv_fqdn"));
  int64_t op_state = 0, admin_state = 0;
  bool ok = ParseInteger(col("be_id"), &s.backend_id) &&
            ParseInteger(col("srv_id"), &s.server_id) && ParseInteger(col("srv_port"), &s.port) &&
            ParseInteger(col("srv_op_state"), &op_state) &&
            ParseInteger(col("srv_admin_state"), &admin_state) &&
            ParseInteger(col("srv_uweight"), &s.weight) &&
            ParseInteger(col("srv_iweight"), &s.initial_weight) &&
            ParseInteger(col("srv_check_status"), &s.check_status) &&
            ParseInteger(col("srv_check_result"), &s.check_result) &&
            ParseInteger(col("srv_check_health"), &s.check_health) &&
            ParseInteger(col("srv_check_state"), &s.check_state);
  if (!ok)
    return ProtocolError("show servers state line has a non-numeric field: '" + std::string(line) +
                         "'");
  Result<OpState> op = ParseOpState(op_state);
  Result<AdminState> admin = AdminState::FromBits(admin_state);
  const Status& bad = op.ok() ? admin.status() : op.status();
  if (!bad.ok()) {
    return ProtocolError("show servers state line: " + bad.message() + ": '" + std::string(line) +
                         "'");
  }
  s.op_state = *op;
  s.admin_state = *admin;
  return s;
}

}  // namespace

Result<std::vector<ServerState>> ParseServersState(std::string_view reply) {
  std::vector<std::string_view> lines = SplitLines(reply);
  if (lines.size() < 2 || Trim(lines[0]) != "1") return Unexpected("show servers state", reply);
  ASSIGN_OR_RETURN(StateColumns cols, ParseStateHeader(lines[1]));
  std::vector<ServerState> out;
  for (size_t i = 2; i < lines.size(); ++i) {
    if (Trim(lines[i]).empty()) continue;
    ASSIGN_OR_RETURN(ServerState s, ParseStateLine(lines[i], cols));
    out.push_back(std::move(s));
  }
  return out;
}

Result<std::vector<std::string>> ParseShowBackend(std::string_view reply) {
  std::vector<std::string_view> lines = SplitLines(reply);
  if (lines.empty() || Trim(lines[0]) != "# name") return Unexpected("show backend", reply);
  std::vector<std::string> names;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::string_view name = Trim(lines[i]);
    if (name.empty()) continue;
    if (SplitSpaces(name).size() != 1 || name.front() == '#') {
      return Unexpected("show backend", lines[i]);
    }
    names.emplace_back(name);
  }
  return names;
}

Result<std::vector<std::pair<std::string, std::string>>> ParseShowMap(std::string_view reply) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::string_view line : SplitLines(reply)) {
    if (Trim(line).empty()) continue;
    // "<ref> <key> <value>": the reference is HAProxy's entry address, e.g. 0x55be9c503bf0.
    size_t sp1 = line.find(' ');
    size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (!StartsWith(line, "0x") || sp2 == std::string_view::npos) {
      return Unexpected("show map", line);
    }
    out.emplace_back(std::string(line.substr(sp1 + 1, sp2 - sp1 - 1)),
                     std::string(line.substr(sp2 + 1)));
  }
  return out;
}

Result<uint64_t> ParsePrepareMap(std::string_view reply) {
  constexpr std::string_view kPrefix = "New version created: ";
  std::string_view line = FirstLine(reply);
  uint64_t version = 0;
  if (!StartsWith(line, kPrefix) || !ParseInteger(line.substr(kPrefix.size()), &version)) {
    return Unexpected("prepare map", reply);
  }
  return version;
}

Result<std::optional<std::string>> ParseGetMap(std::string_view reply) {
  std::string_view line = FirstLine(reply);
  if (!StartsWith(line, "type=")) return Unexpected("get map", reply);
  if (line.find(", found=no") != std::string_view::npos) return std::optional<std::string>();
  // type=str, case=sensitive, found=yes, idx=tree, key="meta", value="1|1|2", type="str"
  constexpr std::string_view kValue = ", value=\"";
  constexpr std::string_view kEnd = "\", type=\"";
  size_t start = line.find(kValue);
  size_t end = line.rfind(kEnd);
  if (line.find(", found=yes") == std::string_view::npos || start == std::string_view::npos ||
      end == std::string_view::npos || end < start + kValue.size()) {
    return Unexpected("get map", reply);
  }
  start += kValue.size();
  return std::optional<std::string>(std::string(line.substr(start, end - start)));
}

namespace {

// HAProxy's messages for the ssl cert commands span lines; one line keeps them readable in logs.
std::string JoinLines(std::string_view text) {
  std::string out;
  for (std::string_view line : SplitLines(Trim(text))) {
    if (Trim(line).empty()) continue;
    if (!out.empty()) out += ' ';
    out += std::string(Trim(line));
  }
  return out;
}

// The errors every ssl cert command shares: HAProxy refusing (its message ends with "Can't
// <verb> <file>!", or is about another file's transaction), permission, and an unexpected reply.
Status SslCertError(std::string_view command, std::string_view expected, std::string_view reply) {
  std::string_view text = Trim(reply);
  std::string message = "HAProxy refused '" + std::string(command) + "': " + JoinLines(text);
  if (StartsWith(text, "The ongoing transaction is about")) return Conflict(message);
  if (StartsWith(text, "Permission denied")) return PermissionDenied(message);
  std::vector<std::string_view> lines = SplitLines(text);
  if (!lines.empty() && StartsWith(lines.back(), "Can't ")) return InvalidArgument(message);
  if (text.empty()) {
    return ProtocolError("no reply to '" + std::string(command) + "', expected '" +
                         std::string(expected) +
                         "' (HAProxy drops a payload larger than its tune.bufsize)");
  }
  return ProtocolError("unexpected reply to '" + std::string(command) + "': '" +
                       std::string(FirstLine(text)) + "', expected '" + std::string(expected) +
                       "'");
}

// The text between `prefix` and `suffix` when `line` is exactly prefix + text + suffix.
std::optional<std::string_view> Between(std::string_view line, std::string_view prefix,
                                        std::string_view suffix) {
  if (line.size() <= prefix.size() + suffix.size() || !StartsWith(line, prefix) ||
      line.substr(line.size() - suffix.size()) != suffix) {
    return std::nullopt;
  }
  return line.substr(prefix.size(), line.size() - prefix.size() - suffix.size());
}

}  // namespace

Result<SslCertTransaction> ParseSetSslCert(std::string_view path, std::string_view reply) {
  constexpr std::string_view kCreated = "Transaction created for certificate ";
  constexpr std::string_view kUpdated = "Transaction updated for certificate ";
  std::string_view text = Trim(reply);
  bool single_line = text.find('\n') == std::string_view::npos;
  std::optional<std::string_view> created = Between(text, kCreated, "!");
  std::optional<std::string_view> updated = Between(text, kUpdated, "!");
  if (single_line && (created || updated)) {
    return SslCertTransaction{std::string(created ? *created : *updated), created.has_value()};
  }
  return SslCertError("set ssl cert " + std::string(path),
                      "Transaction created for certificate " + std::string(path) + "!", reply);
}

Status ParseCommitSslCert(std::string_view path, std::string_view reply) {
  std::vector<std::string_view> lines = SplitLines(Trim(reply));
  std::string expected = "Committing " + std::string(path);
  if (lines.size() == 2 && StartsWith(lines[0], expected) && Trim(lines[1]) == "Success!" &&
      lines[0].find_first_not_of('.', expected.size()) == std::string_view::npos) {
    return Status::Ok();
  }
  return SslCertError("commit ssl cert " + std::string(path), expected + ".\nSuccess!", reply);
}

Status ParseAbortSslCert(std::string_view path, std::string_view reply) {
  std::string expected = "Transaction aborted for certificate '" + std::string(path) + "'!";
  std::string_view text = Trim(reply);
  if (text == expected) return Status::Ok();
  if (text == "No ongoing transaction!") {
    return NotFound("HAProxy has no ssl cert transaction open (for " + std::string(path) + ")");
  }
  return SslCertError("abort ssl cert " + std::string(path), expected, reply);
}

Result<SslCertInfo> ParseShowSslCert(std::string_view reply) {
  std::string_view text = Trim(reply);
  if (StartsWith(text, "Can't display the certificate")) {
    return NotFound("HAProxy: " + JoinLines(text));
  }
  std::map<std::string_view, std::string_view> fields;
  for (std::string_view line : SplitLines(text)) {
    size_t colon = line.find(": ");
    if (colon != std::string_view::npos)
      fields[line.substr(0, colon)] = Trim(line.substr(colon + 2));
  }
  auto field = [&](std::string_view name) {
    auto it = fields.find(name);
    return it == fields.end() ? std::string() : std::string(it->second);
  };
  SslCertInfo info{field("Filename"), field("Status"),  field("Serial"), field("notBefore"),
                   field("notAfter"), field("Subject"), field("Issuer"), field("SHA1 FingerPrint")};
  if (info.filename.empty() || info.serial.empty() || info.not_after.empty()) {
    return Unexpected("show ssl cert <file> (no Filename, Serial or notAfter)", reply);
  }
  return info;
}

}  // namespace shardgate::haproxy
