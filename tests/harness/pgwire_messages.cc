// PostgreSQL wire-protocol bytes for tests and benches (see pgwire_messages.h).
#include "tests/harness/pgwire_messages.h"

namespace shardgate::harness {
namespace {

// A typed message: type byte, Int32 length (counting itself), body.
std::string Typed(char type, std::string_view body) {
  std::string out(1, type);
  AppendInt32(out, static_cast<int32_t>(body.size() + 4));
  out.append(body);
  return out;
}

// An untyped startup-phase packet: Int32 length (counting itself), body.
std::string Untyped(std::string_view body) {
  std::string out;
  AppendInt32(out, static_cast<int32_t>(body.size() + 4));
  out.append(body);
  return out;
}

// Reads a NUL-terminated string at `*pos`; advances past the NUL.
std::optional<std::string> ReadCString(std::string_view body, size_t* pos) {
  size_t end = body.find('\0', *pos);
  if (end == std::string_view::npos) return std::nullopt;
  std::string value(body.substr(*pos, end - *pos));
  *pos = end + 1;
  return value;
}

}  // namespace

void AppendInt32(std::string& out, int32_t value) {
  auto u = static_cast<uint32_t>(value);
  out.push_back(static_cast<char>(u >> 24));
  out.push_back(static_cast<char>(u >> 16));
  out.push_back(static_cast<char>(u >> 8));
  out.push_back(static_cast<char>(u));
}

int32_t ReadInt32(std::string_view bytes, size_t offset) {
  uint32_t u = 0;
  for (size_t i = 0; i < 4; ++i) u = (u << 8) | static_cast<uint8_t>(bytes[offset + i]);
  return static_cast<int32_t>(u);
}

std::string SslRequest() {
  std::string body;
  AppendInt32(body, kSslRequestCode);
  return Untyped(body);
}

std::string GssEncRequest() {
  std::string body;
  AppendInt32(body, kGssEncRequestCode);
  return Untyped(body);
}

std::string StartupMessage(const StartupParams& params, int32_t protocol) {
  std::string body;
  AppendInt32(body, protocol);
  for (const auto& [name, value] : params) {
    body.append(name).push_back('\0');
    body.append(value).push_back('\0');
  }
  body.push_back('\0');
  return Untyped(body);
}

std::string CancelRequest(int32_t backend_pid, int32_t secret_key) {
  std::string body;
  AppendInt32(body, kCancelRequestCode);
  AppendInt32(body, backend_pid);
  AppendInt32(body, secret_key);
  return Untyped(body);
}

std::string TerminateMessage() { return Typed('X', ""); }

std::string QueryMessage(std::string_view sql) {
  std::string body(sql);
  body.push_back('\0');
  return Typed('Q', body);
}

std::string WithLength(std::string packet, int32_t length) {
  std::string prefix;
  AppendInt32(prefix, length);
  packet.replace(0, 4, prefix);
  return packet;
}

std::string AuthenticationOk() {
  std::string body;
  AppendInt32(body, 0);  // AuthenticationOk
  return Typed('R', body);
}

std::string ParameterStatus(std::string_view name, std::string_view value) {
  std::string body(name);
  body.push_back('\0');
  body.append(value).push_back('\0');
  return Typed('S', body);
}

std::string BackendKeyData(int32_t backend_pid, int32_t secret_key) {
  std::string body;
  AppendInt32(body, backend_pid);
  AppendInt32(body, secret_key);
  return Typed('K', body);
}

std::string ReadyForQuery(char transaction_status) {
  return Typed('Z', std::string(1, transaction_status));
}

std::string ErrorResponse(std::string_view sqlstate, std::string_view message) {
  std::string body;
  body.append("SFATAL").push_back('\0');
  body.append("VFATAL").push_back('\0');
  body.push_back('C');
  body.append(sqlstate).push_back('\0');
  body.push_back('M');
  body.append(message).push_back('\0');
  body.push_back('\0');
  return Typed('E', body);
}

Result<std::optional<WireMessage>> TakeMessage(std::string& buffer, size_t max_length) {
  if (buffer.size() < 5) return std::optional<WireMessage>();
  int32_t length = ReadInt32(buffer, 1);
  if (length < 4 || static_cast<size_t>(length) > max_length) {
    return ProtocolError("message '" + std::string(1, buffer[0]) + "' has length " +
                         std::to_string(length));
  }
  size_t total = 1 + static_cast<size_t>(length);
  if (buffer.size() < total) return std::optional<WireMessage>();
  WireMessage message{buffer[0], buffer.substr(5, total - 5)};
  buffer.erase(0, total);
  return std::optional<WireMessage>(std::move(message));
}

Result<ErrorFields> ParseErrorFields(std::string_view body) {
  ErrorFields fields;
  size_t pos = 0;
  while (pos < body.size() && body[pos] != '\0') {
    char code = body[pos++];
    auto value = ReadCString(body, &pos);
    if (!value) return ProtocolError("error field '" + std::string(1, code) + "' lacks its NUL");
    switch (code) {
      case 'S': fields.severity = *value; break;
      case 'C': fields.sqlstate = *value; break;
      case 'M': fields.message = *value; break;
      case 'D': fields.detail = *value; break;
      case 'H': fields.hint = *value; break;
      default: break;  // V, P, F, L, R...: not needed by tests
    }
  }
  if (pos >= body.size()) return ProtocolError("error response lacks its final NUL");
  return fields;
}

Result<std::vector<std::string>> ParseRowDescription(std::string_view body) {
  if (body.size() < 2) return ProtocolError("row description shorter than its count");
  int count = (static_cast<uint8_t>(body[0]) << 8) | static_cast<uint8_t>(body[1]);
  std::vector<std::string> names;
  size_t pos = 2;
  for (int i = 0; i < count; ++i) {
    auto name = ReadCString(body, &pos);
    // Per column: table oid(4) attnum(2) type oid(4) typlen(2) typmod(4) format(2) = 18 bytes.
    if (!name || pos + 18 > body.size()) return ProtocolError("row description truncated");
    names.push_back(*name);
    pos += 18;
  }
  return names;
}

Result<std::vector<std::optional<std::string>>> ParseDataRow(std::string_view body) {
  if (body.size() < 2) return ProtocolError("data row shorter than its count");
  int count = (static_cast<uint8_t>(body[0]) << 8) | static_cast<uint8_t>(body[1]);
  std::vector<std::optional<std::string>> values;
  size_t pos = 2;
  for (int i = 0; i < count; ++i) {
    if (pos + 4 > body.size()) return ProtocolError("data row truncated");
    int32_t length = ReadInt32(body, pos);
    pos += 4;
    if (length < 0) {
      values.emplace_back(std::nullopt);
      continue;
    }
    if (pos + static_cast<size_t>(length) > body.size()) return ProtocolError("data row truncated");
    values.emplace_back(std::string(body.substr(pos, static_cast<size_t>(length))));
    pos += static_cast<size_t>(length);
  }
  return values;
}

Result<BackendKey> ParseBackendKeyData(std::string_view body) {
  if (body.size() != 8)
    return ProtocolError("backend key data of " + std::to_string(body.size()) +
                         " bytes, expected 8");
  return BackendKey{ReadInt32(body, 0), ReadInt32(body, 4)};
}

}  // namespace shardgate::harness
