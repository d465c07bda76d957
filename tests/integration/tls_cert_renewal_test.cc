// Certificate renewal without reload against a real HAProxy: `shardgate-haproxy tls-cert` swaps
// the certificate of a TLS bind (a plain mode tcp frontend to an echo server, independent of the
// router's configuration) while a connection opened before stays up; a PEM whose key does not
// match is refused with HAProxy's message and changes nothing.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/file.h"
#include "haproxy/runtime_client.h"
#include "tests/harness/haproxy_process.h"
#include "tests/harness/ports.h"
#include "tests/harness/process.h"
#include "tests/harness/temp_dir.h"

namespace shardgate::haproxy {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

// ---- an echo server: what the TLS frontend forwards to, so a connection can be used ----

// Echoes every byte on every connection until destroyed. Threads: one acceptor, one per
// connection; all joined by the destructor.
class EchoServer {
 public:
  EchoServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    REQUIRE(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(::listen(listen_fd_, 16) == 0);
    REQUIRE(::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    acceptor_ = std::thread([this] { AcceptLoop(); });
  }
  ~EchoServer() {
    stop_ = true;
    acceptor_.join();
    for (std::thread& t : connections_) t.join();
    ::close(listen_fd_);
  }
  int port() const { return port_; }

 private:
  // Waits up to 100 ms for `fd` to be readable, so the loops notice `stop_`.
  static bool Readable(int fd) {
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 100) > 0;
  }
  void AcceptLoop() {
    while (!stop_) {
      if (!Readable(listen_fd_)) continue;
      int fd = ::accept(listen_fd_, nullptr, nullptr);
      if (fd >= 0) connections_.emplace_back([this, fd] { Echo(fd); });
    }
  }
  void Echo(int fd) {
    char buf[4096];
    while (!stop_) {
      if (!Readable(fd)) continue;
      ssize_t n = ::read(fd, buf, sizeof(buf));
      if (n <= 0 || ::write(fd, buf, static_cast<size_t>(n)) != n) break;
    }
    ::close(fd);
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread acceptor_;
  std::vector<std::thread> connections_;
};

// ---- a TLS client (OpenSSL) that reports the certificate it was served ----

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

// One TLS connection to 127.0.0.1:port; the server's certificate is not verified (the test
// reads which one it was). Not thread-safe.
class TlsConnection {
 public:
  static std::unique_ptr<TlsConnection> Open(int port) {
    auto c = std::unique_ptr<TlsConnection>(new TlsConnection());
    c->fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval timeout{5, 0};  // no read or write waits longer: a broken test fails, never hangs
    ::setsockopt(c->fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    ::setsockopt(c->fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    REQUIRE(::connect(c->fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    c->ctx_.reset(SSL_CTX_new(TLS_client_method()));
    c->ssl_.reset(SSL_new(c->ctx_.get()));
    SSL_set_fd(c->ssl_.get(), c->fd_);
    REQUIRE_MESSAGE(SSL_connect(c->ssl_.get()) == 1,
                    "TLS handshake failed: " << ERR_error_string(ERR_get_error(), nullptr));
    return c;
  }
  ~TlsConnection() {
    if (ssl_) SSL_shutdown(ssl_.get());
    if (fd_ >= 0) ::close(fd_);
  }

  // The served certificate's subject CN and serial number.
  std::string PeerCommonName() const {
    X509* cert = SSL_get0_peer_certificate(ssl_.get());
    REQUIRE(cert != nullptr);
    char cn[256] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof(cn));
    return cn;
  }
  long PeerSerial() const {
    return ASN1_INTEGER_get(X509_get0_serialNumber(SSL_get0_peer_certificate(ssl_.get())));
  }

  // Sends `text` and reads it back through HAProxy and the echo server.
  std::string RoundTrip(const std::string& text) {
    if (SSL_write(ssl_.get(), text.data(), static_cast<int>(text.size())) <= 0) return "<write>";
    std::string got;
    char buf[256];
    while (got.size() < text.size()) {
      int n = SSL_read(ssl_.get(), buf, sizeof(buf));
      if (n <= 0) return got + "<closed>";
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }

 private:
  TlsConnection() = default;
  int fd_ = -1;
  std::unique_ptr<SSL_CTX, SslDeleter> ctx_;
  std::unique_ptr<SSL, SslDeleter> ssl_;
};

// ---- the fixture: certificates, HAProxy with a TLS bind, the tool ----

void RunOpenssl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  Result<harness::CommandResult> run = harness::RunCommand(args, {}, seconds(30));
  REQUIRE_MESSAGE(run.ok(), run.status().ToString());
  REQUIRE_MESSAGE(run->exit_code == 0, harness::JoinArgv(args) << ": " << run->err);
}

// <name>.crt and <name>.key: a self-signed P-256 certificate for CN <name> with `serial`.
void MakeCert(const fs::path& dir, const std::string& name, int serial) {
  RunOpenssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
              "-keyout", dir / (name + ".key"), "-out", dir / (name + ".crt"), "-days", "2",
              "-subj", "/CN=" + name, "-set_serial", std::to_string(serial)});
}

// A PEM as a bind loads it: the certificate of `cert`, then the key of `key`.
std::string Pem(const fs::path& dir, const std::string& cert, const std::string& key) {
  return ReadFile(dir / (cert + ".crt")).value() + ReadFile(dir / (key + ".key")).value();
}

struct Fixture {
  std::unique_ptr<harness::TempDir> dir;
  EchoServer echo;
  fs::path cert_path;  // the file the bind loads: the one tls-cert renews
  int port = 0;
  std::unique_ptr<harness::HaproxyProcess> haproxy;

  fs::path Path(const std::string& name) const { return dir->path() / name; }
};

// HAProxy serving site.pem (CN cert-a, serial 10) on a TLS bind in front of the echo server.
std::unique_ptr<Fixture> StartFixture() {
  auto f = std::make_unique<Fixture>();
  Result<std::unique_ptr<harness::TempDir>> dir = harness::TempDir::Create("sg-tls-cert");
  REQUIRE(dir.ok());
  f->dir = std::move(*dir);
  MakeCert(f->dir->path(), "cert-a", 10);
  MakeCert(f->dir->path(), "cert-b", 11);
  MakeCert(f->dir->path(), "cert-c", 12);
  f->cert_path = f->Path("site.pem");
  Result<int> port = harness::FreePort();
  REQUIRE(port.ok());
  f->port = *port;
  harness::HaproxyOptions options;
  options.dir = f->dir->path();
  options.socket_path = f->Path("admin.sock").string();
  options.config_text =
      "global\n  stats socket " + options.socket_path + " mode 600 level admin\n" +
      "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 30s\n  timeout server 30s\n" +
      "frontend tls_in\n  bind 127.0.0.1:" + std::to_string(f->port) + " ssl crt " +
      f->cert_path.string() + "\n  default_backend echo\n" +
      "backend echo\n  server e1 127.0.0.1:" + std::to_string(f->echo.port()) + "\n";
  options.files = {{f->cert_path, Pem(f->dir->path(), "cert-a", "cert-a")}};
  options.tcp_ports = {f->port};
  Result<std::unique_ptr<harness::HaproxyProcess>> haproxy = harness::HaproxyProcess::Start(
      std::move(options));
  REQUIRE_MESSAGE(haproxy.ok(), haproxy.status().ToString());
  f->haproxy = std::move(*haproxy);
  return f;
}

// `shardgate-haproxy tls-cert` with new.pem = `pem`.
harness::CommandResult RenewWith(const Fixture& f, const std::string& pem) {
  REQUIRE(WriteFile(f.Path("new.pem"), pem).ok());
  Result<fs::path> tool = harness::BuildBinary("haproxy/shardgate-haproxy");
  REQUIRE_MESSAGE(tool.ok(), tool.status().ToString());
  Result<harness::CommandResult> run = harness::RunCommand(
      {tool->string(), "tls-cert", "--socket", f.Path("admin.sock").string(), "--cert",
       f.cert_path.string(), "--from", f.Path("new.pem").string()});
  REQUIRE_MESSAGE(run.ok(), run.status().ToString());
  return *run;
}

// HAProxy's pid as it reports it itself.
int ReportedPid(harness::HaproxyProcess& haproxy) {
  Result<ProcessInfo> info = RuntimeClient(haproxy.socket()).ShowInfo();
  REQUIRE_MESSAGE(info.ok(), info.status().ToString());
  return info->pid;
}

TEST_CASE("a renewed certificate is served to new connections without a reload, old ones stay") {
  std::unique_ptr<Fixture> f = StartFixture();
  const int pid = ReportedPid(*f->haproxy);
  std::unique_ptr<TlsConnection> before = TlsConnection::Open(f->port);
  CHECK(before->PeerCommonName() == "cert-a");
  CHECK(before->PeerSerial() == 10);
  CHECK(before->RoundTrip("before renewal") == "before renewal");

  harness::CommandResult run = RenewWith(*f, Pem(f->dir->path(), "cert-b", "cert-b"));
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  CHECK(run.out.find("serial 0B, subject /CN=cert-b") != std::string::npos);

  std::unique_ptr<TlsConnection> after = TlsConnection::Open(f->port);
  CHECK(after->PeerCommonName() == "cert-b");
  CHECK(after->PeerSerial() == 11);
  CHECK(after->RoundTrip("after renewal") == "after renewal");
  // The connection from before keeps its session and its certificate, and still carries data.
  CHECK(before->RoundTrip("still open") == "still open");
  CHECK(before->PeerCommonName() == "cert-a");
  CHECK(ReportedPid(*f->haproxy) == pid);
  CHECK(f->haproxy->IsRunning());
  // The file holds the new certificate, so a restart serves it too.
  CHECK(ReadFile(f->cert_path).value() == Pem(f->dir->path(), "cert-b", "cert-b"));
  REQUIRE(f->haproxy->Restart().ok());
  CHECK(TlsConnection::Open(f->port)->PeerCommonName() == "cert-b");
}

TEST_CASE("a PEM whose key does not match is refused with HAProxy's message and changes nothing") {
  std::unique_ptr<Fixture> f = StartFixture();
  REQUIRE(RenewWith(*f, Pem(f->dir->path(), "cert-b", "cert-b")).exit_code == 0);
  const int pid = ReportedPid(*f->haproxy);

  harness::CommandResult run = RenewWith(*f, Pem(f->dir->path(), "cert-c", "cert-a"));
  CHECK(run.exit_code == 1);
  CHECK_MESSAGE(run.err.find("inconsistencies between private key and certificate loaded '" +
                             f->cert_path.string() + "'") != std::string::npos,
                run.err);
  CHECK(TlsConnection::Open(f->port)->PeerCommonName() == "cert-b");
  CHECK(ReadFile(f->cert_path).value() == Pem(f->dir->path(), "cert-b", "cert-b"));
  // No transaction is left behind for a later commit to serve.
  Result<std::string> list = f->haproxy->Runtime("show ssl cert");
  REQUIRE(list.ok());
  CHECK(list->find("# transaction") == std::string::npos);
  CHECK(ReportedPid(*f->haproxy) == pid);
}

TEST_CASE("a PEM without a private key is refused before HAProxy is asked") {
  std::unique_ptr<Fixture> f = StartFixture();
  harness::CommandResult run = RenewWith(*f, ReadFile(f->dir->path() / "cert-b.crt").value());
  CHECK(run.exit_code == 1);
  CHECK_MESSAGE(run.err.find("no private key") != std::string::npos, run.err);
  CHECK(TlsConnection::Open(f->port)->PeerCommonName() == "cert-a");
}

}  // namespace
}  // namespace shardgate::haproxy
