// A minimal PostgreSQL wire client over a raw TCP socket (see pgwire_client.h).
#include "tests/harness/pgwire_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "tests/harness/socket_wait.h"

namespace shardgate::harness {
namespace {

using Clock = SocketClock;

}  // namespace

Result<PgWireConnection> PgWireConnection::Connect(const std::string& host, int port,
                                                   milliseconds timeout) {
  ASSIGN_OR_RETURN(int fd, ConnectTcp(host, port, timeout));
  return PgWireConnection(fd);
}

PgWireConnection::PgWireConnection(PgWireConnection&& other) noexcept
    : fd_(other.fd_), buffer_(std::move(other.buffer_)) {
  other.fd_ = -1;
}

PgWireConnection& PgWireConnection::operator=(PgWireConnection&& other) noexcept {
  if (this != &other) {
    Close();
    fd_ = other.fd_;
    buffer_ = std::move(other.buffer_);
    other.fd_ = -1;
  }
  return *this;
}

PgWireConnection::~PgWireConnection() { Close(); }

void PgWireConnection::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

Result<int> PgWireConnection::ReleaseSocket() {
  if (!buffer_.empty()) {
    return ProtocolError(std::to_string(buffer_.size()) +
                         " unread bytes arrived before the socket was released");
  }
  return std::exchange(fd_, -1);
}

void PgWireConnection::ShutdownWrite() {
  if (fd_ >= 0) shutdown(fd_, SHUT_WR);
}

Status PgWireConnection::Send(std::string_view bytes, SendPlan plan, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  size_t chunk = plan.chunk_bytes == 0 ? bytes.size() : plan.chunk_bytes;
  size_t sent = 0;
  while (sent < bytes.size()) {
    if (sent > 0 && plan.gap.count() > 0) std::this_thread::sleep_for(plan.gap);
    size_t end = std::min(bytes.size(), sent + chunk);
    while (sent < end) {
      ssize_t n = send(fd_, bytes.data() + sent, end - sent, MSG_NOSIGNAL);
      if (n > 0) {
        sent += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        RETURN_IF_ERROR(WaitForSocket(fd_, POLLOUT, deadline));
        continue;
      }
      return Unavailable(std::string("send: ") + std::strerror(errno));
    }
  }
  return Status::Ok();
}

Status PgWireConnection::Fill(Clock::time_point deadline) {
  for (;;) {
    char chunk[16384];
    ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<size_t>(n));
      return Status::Ok();
    }
    if (n == 0) return Unavailable("connection closed by peer");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Unavailable(std::string("recv: ") + std::strerror(errno));
    }
    Status readable = WaitForSocket(fd_, POLLIN, deadline);
    // POLLHUP/POLLERR without POLLIN: let recv report the exact reason next turn.
    if (readable.code() == Code::kTimeout || readable.code() == Code::kInternal) return readable;
  }
}

Result<char> PgWireConnection::ReadByte(milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (buffer_.empty()) {
    RETURN_IF_ERROR(Fill(deadline));
  }
  char byte = buffer_[0];
  buffer_.erase(0, 1);
  return byte;
}

Result<WireMessage> PgWireConnection::ReadMessage(milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    ASSIGN_OR_RETURN(auto message, TakeMessage(buffer_));
    if (message.has_value()) return std::move(*message);
    RETURN_IF_ERROR(Fill(deadline));
  }
}

Result<std::string> PgWireConnection::ReadUntilClosed(milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    Status filled = Fill(deadline);
    if (filled.code() == Code::kUnavailable) return std::exchange(buffer_, std::string());
    RETURN_IF_ERROR(filled);
  }
}

namespace {

MessageReader ReaderOf(PgWireConnection& connection) {
  return [&connection](milliseconds timeout) { return connection.ReadMessage(timeout); };
}

// Folds one startup-phase message into `reply`; sets *done at 'Z' or 'E'.
Status ApplyStartupMessage(const WireMessage& message, StartupReply* reply, bool* done) {
  switch (message.type) {
    case 'R': {  // Authentication: only AuthenticationOk (trust) is supported here
      int32_t kind = message.body.size() >= 4 ? ReadInt32(message.body, 0) : -1;
      if (kind != 0) return ProtocolError("authentication request " + std::to_string(kind));
      return Status::Ok();
    }
    case 'S': {  // ParameterStatus
      std::string_view body = message.body;
      size_t nul = body.find('\0');
      if (nul == std::string_view::npos) return ProtocolError("parameter status lacks NUL");
      std::string_view rest = body.substr(nul + 1);
      reply->parameters.emplace_back(std::string(body.substr(0, nul)),
                                     std::string(rest.substr(0, rest.find('\0'))));
      return Status::Ok();
    }
    case 'K': {  // BackendKeyData
      ASSIGN_OR_RETURN(reply->key, ParseBackendKeyData(message.body));
      return Status::Ok();
    }
    case 'E': {  // ErrorResponse
      ASSIGN_OR_RETURN(reply->error, ParseErrorFields(message.body));
      *done = true;
      return Status::Ok();
    }
    case 'Z':  // ReadyForQuery
      reply->ready = true;
      *done = true;
      return Status::Ok();
    default:  // NoticeResponse and friends: ignored during startup
      return Status::Ok();
  }
}

}  // namespace

Result<StartupReply> ReadStartupReply(const MessageReader& read, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  StartupReply reply;
  for (bool done = false; !done;) {
    auto message = read(Until(deadline));
    if (!message.ok() && message.status().code() == Code::kUnavailable) {
      reply.closed = true;
      return reply;
    }
    RETURN_IF_ERROR(message);
    RETURN_IF_ERROR(ApplyStartupMessage(*message, &reply, &done));
  }
  return reply;
}

Result<StartupReply> ReadStartupReply(PgWireConnection& connection, milliseconds timeout) {
  return ReadStartupReply(ReaderOf(connection), timeout);
}

Result<QueryReply> RunQuery(PgWireConnection& connection, std::string_view sql,
                            milliseconds timeout) {
  RETURN_IF_ERROR(connection.Send(QueryMessage(sql), {}, timeout));
  return ReadQueryReply(connection, timeout);
}

Result<QueryReply> ReadQueryReply(const MessageReader& read, milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  QueryReply reply;
  for (;;) {
    ASSIGN_OR_RETURN(auto message, read(Until(deadline)));
    if (message.type == 'T') {  // RowDescription
      ASSIGN_OR_RETURN(reply.columns, ParseRowDescription(message.body));
    } else if (message.type == 'D') {  // DataRow
      ASSIGN_OR_RETURN(auto row, ParseDataRow(message.body));
      reply.rows.push_back(std::move(row));
    } else if (message.type == 'E') {  // ErrorResponse; 'Z' follows unless FATAL
      ASSIGN_OR_RETURN(reply.error, ParseErrorFields(message.body));
      if (reply.error->severity == "FATAL") return reply;
    } else if (message.type == 'Z') {  // ReadyForQuery
      return reply;
    }
  }
}

Result<QueryReply> ReadQueryReply(PgWireConnection& connection, milliseconds timeout) {
  return ReadQueryReply(ReaderOf(connection), timeout);
}

Result<Session> StartSession(const std::string& host, int port, const StartupParams& params,
                             const SessionOptions& options) {
  ASSIGN_OR_RETURN(auto connection, PgWireConnection::Connect(host, port, options.timeout));
  if (options.ssl_request_first) {
    RETURN_IF_ERROR(connection.Send(SslRequest(), {}, options.timeout));
    ASSIGN_OR_RETURN(auto answer, connection.ReadByte(options.timeout));
    if (answer != 'N') return ProtocolError("SSLRequest answered '" + std::string(1, answer) + "'");
  }
  RETURN_IF_ERROR(connection.Send(StartupMessage(params), options.plan, options.timeout * 4));
  ASSIGN_OR_RETURN(auto reply, ReadStartupReply(connection, options.timeout));
  return Session{std::move(connection), std::move(reply)};
}

Result<QueryReply> ConnectAndQuery(const std::string& host, int port, const StartupParams& params,
                                   std::string_view sql, const SessionOptions& options) {
  ASSIGN_OR_RETURN(auto session, StartSession(host, port, params, options));
  if (session.reply.error) return QueryReply{session.reply.error, {}, {}};
  if (session.reply.closed) return Unavailable("server closed the connection during startup");
  auto reply = RunQuery(session.connection, sql, options.timeout);
  if (reply.ok()) (void)session.connection.Send(TerminateMessage(), {}, options.timeout);
  return reply;
}

StartupParams KeyedParams(const std::string& user, const std::string& database, int64_t key) {
  return {{"user", user},
          {"database", database},
          {"options", "-c shardgate.key=" + std::to_string(key)}};
}

}  // namespace shardgate::harness
