// An in-process TLS echo server with ALPN for the TLS client's tests (see tls_echo_server.h).
#include "tests/integration/tls_echo_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "tests/harness/tls_socket_bio.h"

namespace shardgate::harness {
namespace {

const unsigned char kAlpnPostgresql[] = "\x0apostgresql";  // ALPN wire form: length + name

// Picks "postgresql" from the client's list; no ALPN at all when it is not offered.
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_size, const unsigned char* in,
               unsigned in_size, void*) {
  unsigned char* selected = nullptr;
  int found = SSL_select_next_proto(&selected, out_size, kAlpnPostgresql,
                                    sizeof kAlpnPostgresql - 1, in, in_size);
  if (found != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

Result<SSL_CTX*> ServerContext(const IssuedCert& cert) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (ctx == nullptr) return Internal("SSL_CTX_new failed");
  if (SSL_CTX_use_certificate_chain_file(ctx, cert.cert.c_str()) != 1 ||
      SSL_CTX_use_PrivateKey_file(ctx, cert.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    SSL_CTX_free(ctx);
    return InvalidArgument("cannot load " + cert.cert.string() + " / " + cert.key.string());
  }
  SSL_CTX_set_alpn_select_cb(ctx, SelectAlpn, nullptr);
  return ctx;
}

Result<int> ListenLoopback(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Internal(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof addr;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), size) != 0 || listen(fd, 8) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
    close(fd);
    return Internal(std::string("listen on 127.0.0.1: ") + std::strerror(errno));
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

}  // namespace

Result<std::unique_ptr<TlsEchoServer>> TlsEchoServer::Start(const IssuedCert& cert) {
  std::unique_ptr<TlsEchoServer> server(new TlsEchoServer());
  ASSIGN_OR_RETURN(SSL_CTX * ctx, ServerContext(cert));
  server->ctx_ = ctx;
  ASSIGN_OR_RETURN(server->listen_fd_, ListenLoopback(&server->port_));
  server->thread_ = std::thread([s = server.get()] { s->Loop(); });
  return server;
}

TlsEchoServer::~TlsEchoServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

void TlsEchoServer::Loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;  // wake up now and then to see stop_
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // Bounded reads, so a silent client cannot keep the destructor waiting.
    timeval limit{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    Serve(fd);
    close(fd);
  }
}

void TlsEchoServer::Serve(int fd) {
  unsigned char first = 0;
  if (recv(fd, &first, 1, MSG_PEEK) != 1) return;
  first_byte_ = first;
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
  if (AttachSocket(ssl, fd).ok() && SSL_accept(ssl) == 1) {
    char buf[4096];
    for (int n; !stop_ && (n = SSL_read(ssl, buf, sizeof buf)) > 0;) {
      if (SSL_write(ssl, buf, n) != n) break;
    }
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  ERR_clear_error();
}

}  // namespace shardgate::harness
