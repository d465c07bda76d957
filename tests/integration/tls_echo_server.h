// A one-purpose TLS server for the harness's own tests: direct TLS (ClientHello first) with ALPN,
// echoing plaintext back. PostgreSQL 15 has no direct TLS, so this stands in for a server.
#pragma once

#include <atomic>
#include <memory>
#include <thread>

#include "common/status.h"
#include "tests/harness/test_certs.h"

namespace shardgate::harness {

// Accepts on 127.0.0.1 (a free port), one connection at a time on its own thread: records the
// first byte received, completes a TLS handshake with `cert` (selecting ALPN "postgresql" when
// the client offers it, none otherwise), then echoes every decrypted byte until the client
// closes. The destructor stops the thread. Thread-safety: the accessors may be read any time.
class TlsEchoServer {
 public:
  static Result<std::unique_ptr<TlsEchoServer>> Start(const IssuedCert& cert);
  ~TlsEchoServer();
  TlsEchoServer(const TlsEchoServer&) = delete;
  TlsEchoServer& operator=(const TlsEchoServer&) = delete;

  int port() const { return port_; }
  // The first byte of the latest connection before any TLS (0x16 for a ClientHello); -1 before.
  int first_byte() const { return first_byte_.load(); }

 private:
  TlsEchoServer() = default;
  void Loop();
  void Serve(int fd);

  void* ctx_ = nullptr;  // SSL_CTX, kept opaque here
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> first_byte_{-1};
  std::thread thread_;
};

}  // namespace shardgate::harness
