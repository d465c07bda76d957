// A minimal PostgreSQL wire client over TLS with OpenSSL (see pg_tls_client.h).
#include "tests/harness/pg_tls_client.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "tests/harness/socket_wait.h"
#include "tests/harness/tls_socket_bio.h"

namespace shardgate::harness {

using std::chrono::milliseconds;

struct PgTlsConnection::State {
  int fd = -1;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  std::string buffer;  // plaintext received but not yet taken as messages
  std::string protocol, alpn, peer_serial, peer_subject;

  ~State() {
    if (ssl != nullptr) SSL_free(ssl);
    if (ctx != nullptr) SSL_CTX_free(ctx);
    if (fd >= 0) close(fd);
  }
};

namespace {

using State = PgTlsConnection::State;

// The reasons OpenSSL queued for the last failure, "; "-joined; empty when none.
std::string OpenSslErrors() {
  std::string out;
  for (unsigned long e = ERR_get_error(); e != 0; e = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(e, text, sizeof text);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out;
}

// Runs one SSL call until it succeeds, waiting on the socket whenever OpenSSL asks to.
// Errors: kUnavailable "connection closed by peer" (close_notify or EOF), kUnavailable with the
// system's or OpenSSL's reason, kTimeout at the deadline.
Result<int> Drive(State& s, const std::function<int()>& call, SocketClock::time_point deadline) {
  for (;;) {
    ERR_clear_error();
    errno = 0;
    int r = call();
    if (r > 0) return r;
    int error = SSL_get_error(s.ssl, r);
    short events = error == SSL_ERROR_WANT_READ    ? POLLIN
                   : error == SSL_ERROR_WANT_WRITE ? POLLOUT
                                                   : 0;
    if (events != 0) {
      Status ready = WaitForSocket(s.fd, events, deadline);
      // A hang-up: the next call reports the exact reason.
      if (!ready.ok() && ready.code() != Code::kUnavailable) return ready;
      continue;
    }
    if (error == SSL_ERROR_ZERO_RETURN) return Unavailable("connection closed by peer");
    if (error == SSL_ERROR_SYSCALL) {
      if (errno == 0) return Unavailable("connection closed by peer");
      return Unavailable(std::string("TLS I/O: ") + std::strerror(errno));
    }
    return Unavailable("TLS: " + OpenSslErrors());
  }
}

// ALPN's wire form: each name prefixed by its length.
std::string AlpnWire(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += static_cast<char>(name.size()) + name;
  return out;
}

// A client context offering `alpn`, verifying against `ca_file` when it is set.
Result<SSL_CTX*> NewContext(const std::vector<std::string>& alpn, const std::string& ca_file) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  if (ctx == nullptr) return Internal("SSL_CTX_new: " + OpenSslErrors());
  // An EOF without close_notify reads as a close, as it does for libpq.
  SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
  std::string wire = AlpnWire(alpn);
  if (!wire.empty() &&
      SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                              static_cast<unsigned>(wire.size())) != 0) {
    SSL_CTX_free(ctx);
    return Internal("SSL_CTX_set_alpn_protos: " + OpenSslErrors());
  }
  if (!ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
      SSL_CTX_free(ctx);
      return InvalidArgument("cannot load CA file " + ca_file + ": " + OpenSslErrors());
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  return ctx;
}

// The SSL object on s.fd: SNI and the name the certificate must carry.
Status NewSsl(State& s, const TlsClientOptions& options) {
  s.ssl = SSL_new(s.ctx);
  if (s.ssl == nullptr) return Internal("SSL_new: " + OpenSslErrors());
  RETURN_IF_ERROR(AttachSocket(s.ssl, s.fd));
  if (!options.sni.empty() && SSL_set_tlsext_host_name(s.ssl, options.sni.c_str()) != 1) {
    return InvalidArgument("bad SNI " + options.sni + ": " + OpenSslErrors());
  }
  const std::string& host = options.verify_host;
  if (host.empty() || options.ca_file.empty()) return Status::Ok();
  int set = IsIpAddress(host) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s.ssl), host.c_str())
                              : SSL_set1_host(s.ssl, host.c_str());
  if (set != 1) return InvalidArgument("bad verify_host " + host + ": " + OpenSslErrors());
  return Status::Ok();
}

// "certificate verify failed: hostname mismatch (verify_host db.example.com)", or OpenSSL's
// reasons for any other handshake failure.
Status HandshakeError(const State& s, const Status& failure, const TlsClientOptions& options) {
  long verify = SSL_get_verify_result(s.ssl);
  if (verify == X509_V_OK || options.ca_file.empty()) return Annotate(failure, "TLS handshake");
  std::string why = X509_verify_cert_error_string(verify);
  if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    why += " (verify_host " + options.verify_host + ")";
  }
  return Unavailable("TLS handshake: certificate verify failed: " + why);
}

// Subject and serial of the server certificate, once the handshake is done.
void ReadPeer(State& s) {
  const char* alpn = nullptr;
  unsigned alpn_size = 0;
  SSL_get0_alpn_selected(s.ssl, reinterpret_cast<const unsigned char**>(&alpn), &alpn_size);
  s.alpn.assign(alpn == nullptr ? "" : alpn, alpn_size);
  s.protocol = SSL_get_version(s.ssl);
  X509* cert = SSL_get1_peer_certificate(s.ssl);
  if (cert == nullptr) return;
  BIGNUM* serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr);
  char* hex = serial != nullptr ? BN_bn2hex(serial) : nullptr;
  if (hex != nullptr) s.peer_serial = hex;
  OPENSSL_free(hex);
  BN_free(serial);
  BIO* bio = BIO_new(BIO_s_mem());
  X509_NAME_print_ex(bio, X509_get_subject_name(cert), 0, XN_FLAG_ONELINE);
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  s.peer_subject.assign(data, static_cast<size_t>(size));
  BIO_free(bio);
  X509_free(cert);
}

// The TCP connection, with SSLRequest -> 'S' done when asked. The caller owns the fd.
Result<int> ConnectForTls(const TlsClientOptions& options) {
  if (options.negotiation == TlsNegotiation::kDirect) {
    return ConnectTcp(options.host, options.port, options.timeout);
  }
  ASSIGN_OR_RETURN(auto plain,
                   PgWireConnection::Connect(options.host, options.port, options.timeout));
  RETURN_IF_ERROR(plain.Send(SslRequest(), {}, options.timeout));
  ASSIGN_OR_RETURN(char answer, plain.ReadByte(options.timeout));
  if (answer == 'N') return Unavailable("SSLRequest answered 'N': the server does not offer TLS");
  if (answer != 'S') {
    return ProtocolError("SSLRequest answered '" + std::string(1, answer) + "', not 'S' or 'N'");
  }
  return plain.ReleaseSocket();
}

}  // namespace

PgTlsConnection::PgTlsConnection(std::unique_ptr<State> state) : state_(std::move(state)) {}
PgTlsConnection::PgTlsConnection(PgTlsConnection&& other) noexcept = default;
PgTlsConnection& PgTlsConnection::operator=(PgTlsConnection&& other) noexcept = default;
PgTlsConnection::~PgTlsConnection() { Close(); }

Result<PgTlsConnection> PgTlsConnection::Open(const TlsClientOptions& options) {
  auto deadline = SocketClock::now() + options.timeout;
  auto state = std::make_unique<State>();
  ASSIGN_OR_RETURN(state->ctx, NewContext(options.alpn, options.ca_file));
  ASSIGN_OR_RETURN(state->fd, ConnectForTls(options));
  RETURN_IF_ERROR(NewSsl(*state, options));
  State& s = *state;
  Result<int> done = Drive(
      s, [&s] { return SSL_connect(s.ssl); }, deadline);
  if (!done.ok()) return HandshakeError(s, done.status(), options);
  ReadPeer(s);
  return PgTlsConnection(std::move(state));
}

std::string PgTlsConnection::protocol() const { return state_ ? state_->protocol : ""; }
std::string PgTlsConnection::alpn() const { return state_ ? state_->alpn : ""; }
std::string PgTlsConnection::peer_serial() const { return state_ ? state_->peer_serial : ""; }
std::string PgTlsConnection::peer_subject() const { return state_ ? state_->peer_subject : ""; }

void PgTlsConnection::Close() {
  if (!state_) return;
  // Best effort: a non-blocking close_notify, no wait for the peer's.
  if (state_->ssl != nullptr && state_->fd >= 0) (void)SSL_shutdown(state_->ssl);
  state_.reset();
}

Status PgTlsConnection::Send(std::string_view bytes, milliseconds timeout) {
  if (!state_) return Unavailable("connection closed");
  if (bytes.empty()) return Status::Ok();
  State& s = *state_;
  return Drive(
             s,
             [&s, bytes] { return SSL_write(s.ssl, bytes.data(), static_cast<int>(bytes.size())); },
             SocketClock::now() + timeout)
      .status();
}

namespace {

// Appends newly decrypted bytes to s.buffer.
Status Fill(State& s, SocketClock::time_point deadline) {
  char chunk[16384];
  ASSIGN_OR_RETURN(int n, Drive(
                              s, [&] { return SSL_read(s.ssl, chunk, sizeof chunk); }, deadline));
  s.buffer.append(chunk, static_cast<size_t>(n));
  return Status::Ok();
}

}  // namespace

Result<WireMessage> PgTlsConnection::ReadMessage(milliseconds timeout) {
  if (!state_) return Unavailable("connection closed");
  auto deadline = SocketClock::now() + timeout;
  for (;;) {
    ASSIGN_OR_RETURN(auto message, TakeMessage(state_->buffer));
    if (message.has_value()) return std::move(*message);
    RETURN_IF_ERROR(Fill(*state_, deadline));
  }
}

Result<std::string> PgTlsConnection::ReadUntilClosed(milliseconds timeout) {
  if (!state_) return Unavailable("connection closed");
  auto deadline = SocketClock::now() + timeout;
  for (;;) {
    Status filled = Fill(*state_, deadline);
    if (filled.code() == Code::kUnavailable) return std::exchange(state_->buffer, std::string());
    RETURN_IF_ERROR(filled);
  }
}

namespace {

MessageReader ReaderOf(PgTlsConnection& connection) {
  return [&connection](milliseconds timeout) { return connection.ReadMessage(timeout); };
}

}  // namespace

Result<StartupReply> TlsStartup(PgTlsConnection& connection, const StartupParams& params,
                                milliseconds timeout) {
  RETURN_IF_ERROR(connection.Send(StartupMessage(params), timeout));
  return ReadStartupReply(ReaderOf(connection), timeout);
}

Result<QueryReply> TlsQuery(PgTlsConnection& connection, std::string_view sql,
                            milliseconds timeout) {
  RETURN_IF_ERROR(connection.Send(QueryMessage(sql), timeout));
  return ReadQueryReply(ReaderOf(connection), timeout);
}

Result<std::string> TlsSimpleQuery(PgTlsConnection& connection, std::string_view sql,
                                   milliseconds timeout) {
  ASSIGN_OR_RETURN(QueryReply reply, TlsQuery(connection, sql, timeout));
  if (reply.error) {
    Code code = reply.error->severity == "FATAL" ? Code::kUnavailable : Code::kInvalidArgument;
    return Status(code, reply.error->sqlstate + ": " + reply.error->message);
  }
  if (reply.rows.empty() || reply.rows[0].empty() || !reply.rows[0][0]) return std::string();
  return *reply.rows[0][0];
}

Status TlsCancel(const TlsClientOptions& options, int32_t backend_pid, int32_t secret_key) {
  ASSIGN_OR_RETURN(auto connection, PgTlsConnection::Open(options));
  RETURN_IF_ERROR(connection.Send(CancelRequest(backend_pid, secret_key), options.timeout));
  return Annotate(connection.ReadUntilClosed(options.timeout).status(), "after CancelRequest");
}

Result<std::string> ClientHelloBytes(const std::vector<std::string>& alpn, const std::string& sni) {
  ASSIGN_OR_RETURN(SSL_CTX * ctx, NewContext(alpn, ""));
  SSL* ssl = SSL_new(ctx);
  BIO* in = BIO_new(BIO_s_mem());
  BIO* out = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl, in, out);  // ssl owns both BIOs now
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl, sni.c_str());
  SSL_set_connect_state(ssl);
  // With nothing to read, the handshake stops after writing its ClientHello into `out`.
  int r = SSL_do_handshake(ssl);
  bool waiting = r <= 0 && SSL_get_error(ssl, r) == SSL_ERROR_WANT_READ;
  std::string hello;
  char* data = nullptr;
  long size = BIO_get_mem_data(out, &data);
  if (size > 0) hello.assign(data, static_cast<size_t>(size));
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  if (!waiting || hello.size() < 5) return Internal("no ClientHello written: " + OpenSslErrors());
  return hello;
}

}  // namespace shardgate::harness
