// A minimal PostgreSQL wire client over TLS (OpenSSL), for tests and benches that must see what
// a TLS client sees: the negotiated protocol and ALPN, the server certificate, verification
// errors, and the exact messages the server answers. Also the bytes of a real ClientHello, for
// tests that cut a handshake half-way.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tests/harness/pgwire_client.h"
#include "tests/harness/pgwire_messages.h"

namespace shardgate::harness {

// How TLS starts on the connection.
enum class TlsNegotiation {
  kSslRequest,  // SSLRequest, expect 'S', then the handshake (every libpq)
  kDirect,      // the ClientHello is the first byte (PostgreSQL 17 sslnegotiation=direct)
};

struct TlsClientOptions {
  std::string host = "127.0.0.1";  // IPv4 address to connect to
  int port = 0;
  TlsNegotiation negotiation = TlsNegotiation::kSslRequest;
  std::vector<std::string> alpn = {"postgresql"};  // offered protocols; empty = no ALPN extension
  std::string ca_file;      // CA bundle the server certificate must chain to; "" = no verification
  std::string verify_host;  // with ca_file: name or IP the certificate must match; "" = any
  std::string sni;          // server name indication sent in the ClientHello; "" = none
  std::chrono::milliseconds timeout{5000};  // connect, SSLRequest answer and handshake
};

// One TLS connection to a PostgreSQL server (or anything speaking its startup). Every call is
// bounded by its timeout and never hangs.
// Errors: kUnavailable (connect refused, peer closed or reset, SSLRequest answered 'N', handshake
// failed: the message carries OpenSSL's reason, e.g. "certificate verify failed: hostname
// mismatch"), kTimeout, kProtocol (an answer to SSLRequest other than 'S'/'N', bytes that are not
// backend messages). Move-only; sends close_notify and closes its socket when destroyed.
// Thread-compatible: one thread per connection.
class PgTlsConnection {
 public:
  // TCP connect, SSLRequest -> 'S' (kSslRequest) or nothing (kDirect), then a full handshake.
  static Result<PgTlsConnection> Open(const TlsClientOptions& options);
  PgTlsConnection(PgTlsConnection&& other) noexcept;
  PgTlsConnection& operator=(PgTlsConnection&& other) noexcept;
  PgTlsConnection(const PgTlsConnection&) = delete;
  PgTlsConnection& operator=(const PgTlsConnection&) = delete;
  ~PgTlsConnection();

  std::string protocol() const;      // "TLSv1.3", "TLSv1.2", ...
  std::string alpn() const;          // the protocol the server selected; "" when none
  std::string peer_serial() const;   // server certificate serial, hex upper case (IssuedCert)
  std::string peer_subject() const;  // e.g. "CN = localhost" (OpenSSL's one-line form)

  // Sends every byte inside TLS.
  Status Send(std::string_view bytes,
              std::chrono::milliseconds timeout = std::chrono::milliseconds(5000));
  // Reads the next typed backend message.
  Result<WireMessage> ReadMessage(std::chrono::milliseconds timeout);
  // Waits for the peer to close (close_notify or TCP close); returns the plaintext that arrived
  // before. kTimeout when it stays open.
  Result<std::string> ReadUntilClosed(std::chrono::milliseconds timeout);
  // close_notify (best effort) and close.
  void Close();

  // The socket and OpenSSL's objects; opaque, so this header needs no OpenSSL header.
  struct State;

 private:
  explicit PgTlsConnection(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Sends the StartupMessage and reads the reply as pgwire_client's ReadStartupReply does:
// ReadyForQuery (with BackendKeyData), an ErrorResponse, or a close.
Result<StartupReply> TlsStartup(PgTlsConnection& connection, const StartupParams& params,
                                std::chrono::milliseconds timeout = std::chrono::seconds(5));

// One simple Query and its whole result (pgwire_client's QueryReply).
Result<QueryReply> TlsQuery(PgTlsConnection& connection, std::string_view sql,
                            std::chrono::milliseconds timeout = std::chrono::seconds(5));

// The first column of the first row ("" when no rows or NULL). A server ErrorResponse becomes
// an error "<SQLSTATE>: <message>": kInvalidArgument for ERROR, kUnavailable for FATAL.
Result<std::string> TlsSimpleQuery(PgTlsConnection& connection, std::string_view sql,
                                   std::chrono::milliseconds timeout = std::chrono::seconds(5));

// Opens a TLS connection as `options` say and sends a CancelRequest inside it, as libpq 17
// does; returns once the server closed the connection (kTimeout if it does not).
Status TlsCancel(const TlsClientOptions& options, int32_t backend_pid, int32_t secret_key);

// The bytes of a real TLS ClientHello (one or more records, starting 0x16 0x03) offering `alpn`,
// made by an in-memory handshake; for tests that send part of it over a plain socket and close.
Result<std::string> ClientHelloBytes(const std::vector<std::string>& alpn = {"postgresql"},
                                     const std::string& sni = "");

}  // namespace shardgate::harness
