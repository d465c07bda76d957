// PostgreSQL wire-protocol bytes for tests and benches: building frontend messages, framing
// and decoding backend messages. Pure functions over strings; no sockets here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace shardgate::harness {

// Protocol codes carried where a StartupMessage carries its version (Int32 after the length).
inline constexpr int32_t kProtocol30 = 3 << 16;          // 196608: protocol 3.0
inline constexpr int32_t kCancelRequestCode = 80877102;  // 1234.5678
inline constexpr int32_t kSslRequestCode = 80877103;     // 1234.5679
inline constexpr int32_t kGssEncRequestCode = 80877104;  // 1234.5680
// PostgreSQL refuses startup packets longer than this (MAX_STARTUP_PACKET_LENGTH).
inline constexpr size_t kMaxStartupPacketBytes = 10000;

using StartupParams = std::vector<std::pair<std::string, std::string>>;

// Big-endian helpers.
void AppendInt32(std::string& out, int32_t value);
int32_t ReadInt32(std::string_view bytes, size_t offset);  // REQUIRES: offset + 4 <= size

// Frontend messages (untyped startup-phase packets first, then typed ones).
std::string SslRequest();
std::string GssEncRequest();
// Length, protocol, "name\0value\0"... and the final NUL.
std::string StartupMessage(const StartupParams& params, int32_t protocol = kProtocol30);
std::string CancelRequest(int32_t backend_pid, int32_t secret_key);
std::string TerminateMessage();                  // 'X'
std::string QueryMessage(std::string_view sql);  // 'Q'
// The same untyped packet with its Int32 length field overwritten (for malformed inputs).
// REQUIRES: packet.size() >= 4.
std::string WithLength(std::string packet, int32_t length);

// Backend messages a responder (fake_pg_server) writes.
std::string AuthenticationOk();                                                  // 'R' 0
std::string ParameterStatus(std::string_view name, std::string_view value);      // 'S'
std::string BackendKeyData(int32_t backend_pid, int32_t secret_key);             // 'K'
std::string ReadyForQuery(char transaction_status = 'I');                        // 'Z'
std::string ErrorResponse(std::string_view sqlstate, std::string_view message);  // 'E' FATAL

// One typed message: its type byte and its body (without the type and length).
struct WireMessage {
  char type = 0;
  std::string body;
};

// Extracts the first complete typed message from the front of `buffer` and erases it.
// Returns nullopt while the message is incomplete; an error when the length field is < 4 or
// larger than `max_length` (the peer is not speaking the protocol).
Result<std::optional<WireMessage>> TakeMessage(std::string& buffer, size_t max_length = 1 << 26);

// Fields of an ErrorResponse/NoticeResponse ('S' severity, 'C' SQLSTATE, 'M' message, ...).
struct ErrorFields {
  std::string severity;
  std::string sqlstate;
  std::string message;
  std::string detail;
  std::string hint;
};
Result<ErrorFields> ParseErrorFields(std::string_view body);

// RowDescription ('T') column names; DataRow ('D') values (nullopt = SQL NULL).
Result<std::vector<std::string>> ParseRowDescription(std::string_view body);
Result<std::vector<std::optional<std::string>>> ParseDataRow(std::string_view body);

// BackendKeyData ('K') body: pid and secret.
struct BackendKey {
  int32_t pid = 0;
  int32_t secret = 0;
};
Result<BackendKey> ParseBackendKeyData(std::string_view body);

}  // namespace shardgate::harness
