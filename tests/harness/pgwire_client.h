// A minimal PostgreSQL wire client over a raw TCP socket, for tests and benches that must send
// exact (also broken or fragmented) startup bytes and see exactly what the server answers.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "tests/harness/pgwire_messages.h"

namespace shardgate::harness {

using std::chrono::milliseconds;

// How bytes go on the wire: all at once (chunk_bytes 0) or in chunks with a pause between them,
// so a test can fragment a startup packet across many TCP segments.
struct SendPlan {
  size_t chunk_bytes = 0;
  milliseconds gap{0};
};

// One TCP connection. Every call is bounded by its timeout (poll(2)) and never hangs.
// Errors: kUnavailable (connect refused, peer closed or reset), kTimeout, kProtocol (bytes that
// are not PostgreSQL backend messages). Move-only; closes its socket when destroyed.
// Thread-compatible: one thread per connection.
class PgWireConnection {
 public:
  static Result<PgWireConnection> Connect(const std::string& host, int port, milliseconds timeout);
  PgWireConnection(PgWireConnection&& other) noexcept;
  PgWireConnection& operator=(PgWireConnection&& other) noexcept;
  PgWireConnection(const PgWireConnection&) = delete;
  PgWireConnection& operator=(const PgWireConnection&) = delete;
  ~PgWireConnection();

  // Sends every byte. A peer that closed or reset mid-way yields kUnavailable.
  Status Send(std::string_view bytes, SendPlan plan = {},
              milliseconds timeout = milliseconds(5000));
  // Reads exactly one byte (the 'S'/'N' answer to SSLRequest/GSSENCRequest).
  Result<char> ReadByte(milliseconds timeout);
  // Reads the next typed backend message.
  Result<WireMessage> ReadMessage(milliseconds timeout);
  // Waits for the peer to close; returns whatever arrived before (kTimeout if it stays open).
  Result<std::string> ReadUntilClosed(milliseconds timeout);
  // Gives up the socket without closing it (the caller owns the fd), so a TLS client can go on
  // after the SSLRequest answer. kProtocol when bytes beyond those read are already buffered:
  // a server must send nothing in clear text after 'S'.
  Result<int> ReleaseSocket();
  // Half-closes the sending side, as a client that stops mid-packet would.
  void ShutdownWrite();
  void Close();

 private:
  explicit PgWireConnection(int fd) : fd_(fd) {}
  // Appends newly received bytes to buffer_; kUnavailable on EOF/reset, kTimeout at deadline.
  Status Fill(std::chrono::steady_clock::time_point deadline);

  int fd_ = -1;
  std::string buffer_;
};

// What the server answered a startup: ReadyForQuery, an ErrorResponse, or a silent close.
struct StartupReply {
  bool ready = false;
  bool closed = false;  // closed without an ErrorResponse
  std::optional<ErrorFields> error;
  BackendKey key;
  StartupParams parameters;  // ParameterStatus name/value pairs
};

// Reads the next typed backend message within `timeout`, from any transport (PgWireConnection,
// PgTlsConnection). kUnavailable means the peer closed or reset the connection.
using MessageReader = std::function<Result<WireMessage>(milliseconds)>;

// Reads backend messages until 'Z', 'E' or close. Transport errors other than close are errors.
Result<StartupReply> ReadStartupReply(const MessageReader& read, milliseconds timeout);
Result<StartupReply> ReadStartupReply(PgWireConnection& connection, milliseconds timeout);

// A simple-query result: column names, rows, or the server's error.
struct QueryReply {
  std::optional<ErrorFields> error;
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

// Reads a simple query's result until ReadyForQuery (or a FATAL error).
Result<QueryReply> ReadQueryReply(const MessageReader& read, milliseconds timeout);
Result<QueryReply> ReadQueryReply(PgWireConnection& connection, milliseconds timeout);

// Sends one simple Query and reads its result (ReadQueryReply).
Result<QueryReply> RunQuery(PgWireConnection& connection, std::string_view sql,
                            milliseconds timeout);

struct SessionOptions {
  bool ssl_request_first = false;  // as libpq's sslmode=prefer does; expects 'N'
  SendPlan plan;                   // how the StartupMessage is sent
  milliseconds timeout{5000};      // per step
};

// An open connection after its startup exchange.
struct Session {
  PgWireConnection connection;
  StartupReply reply;
};

// Connects, optionally negotiates SSLRequest -> 'N', sends the StartupMessage and reads the reply.
Result<Session> StartSession(const std::string& host, int port, const StartupParams& params,
                             const SessionOptions& options = {});

// StartSession + RunQuery + Terminate. A startup ErrorResponse lands in QueryReply::error; a
// close without any ErrorResponse is kUnavailable.
Result<QueryReply> ConnectAndQuery(const std::string& host, int port, const StartupParams& params,
                                   std::string_view sql, const SessionOptions& options = {});

// The usual parameters for a routed startup: user, database and options "-c shardgate.key=<key>".
StartupParams KeyedParams(const std::string& user, const std::string& database, int64_t key);

}  // namespace shardgate::harness
