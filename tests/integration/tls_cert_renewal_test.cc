// Certificate renewal without reload against a real HAProxy: `shardgate-haproxy tls-cert` swaps
// the certificate of a TLS bind (a plain mode tcp frontend to an echo server, independent of the
// router's configuration) while a connection opened before stays up; a PEM whose key does not
// match is refused with HAProxy's message and changes nothing.
#include <doctest/doctest.h>
#include <netinet/in.h>
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
#include "tests/harness/pg_tls_client.h"
#include "tests/harness/pgwire_messages.h"
#include "tests/harness/ports.h"
#include "tests/harness/process.h"
#include "tests/harness/temp_dir.h"
#include "tests/harness/test_certs.h"

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

// ---- a TLS client that reports the certificate it was served (the harness's) ----

// A TLS connection to 127.0.0.1:port (the server's certificate is read, not verified).
harness::PgTlsConnection Connect(int port) {
  harness::TlsClientOptions options;
  options.port = port;
  options.negotiation = harness::TlsNegotiation::kDirect;  // a plain TLS bind: no SSLRequest
  options.alpn = {};
  auto connection = harness::PgTlsConnection::Open(options);
  REQUIRE_MESSAGE(connection.ok(), connection.status().ToString());
  return std::move(*connection);
}

// Sends `text` (framed as a Query message) and reads it back through HAProxy and the echo
// server.
std::string RoundTrip(harness::PgTlsConnection& connection, const std::string& text) {
  if (!connection.Send(harness::QueryMessage(text)).ok()) return "<write>";
  auto echoed = connection.ReadMessage(seconds(5));
  if (!echoed.ok()) return "<" + echoed.status().ToString() + ">";
  std::string body = echoed->body;
  if (!body.empty() && body.back() == '\0') body.pop_back();
  return body;
}

// ---- the fixture: certificates, HAProxy with a TLS bind, the tool ----

// A PEM as a bind loads it: the certificate of `cert`, then the key of `key`.
std::string Pem(const harness::IssuedCert& cert, const harness::IssuedCert& key) {
  return ReadFile(cert.cert).value() + ReadFile(key.key).value();
}

struct Fixture {
  std::unique_ptr<harness::TempDir> dir;
  EchoServer echo;
  harness::IssuedCert a, b, c;  // certificates for CN cert-a, cert-b, cert-c
  fs::path cert_path;           // the file the bind loads: the one tls-cert renews
  int port = 0;
  std::unique_ptr<harness::HaproxyProcess> haproxy;

  fs::path Path(const std::string& name) const { return dir->path() / name; }
};

// HAProxy serving site.pem (CN cert-a) on a TLS bind in front of the echo server.
std::unique_ptr<Fixture> StartFixture() {
  auto f = std::make_unique<Fixture>();
  Result<std::unique_ptr<harness::TempDir>> dir = harness::TempDir::Create("sg-tls-cert");
  REQUIRE(dir.ok());
  f->dir = std::move(*dir);
  Result<harness::TestCerts> ca = harness::MakeTestCa(f->Path("certs"));
  REQUIRE_MESSAGE(ca.ok(), ca.status().ToString());
  harness::IssuedCert* certs[] = {&f->a, &f->b, &f->c};
  for (int i = 0; i < 3; ++i) {
    std::string name = std::string("cert-") + static_cast<char>('a' + i);
    Result<harness::IssuedCert> issued = harness::IssueServerCert(*ca, name, {name});
    REQUIRE_MESSAGE(issued.ok(), issued.status().ToString());
    *certs[i] = *issued;
  }
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
  options.files = {{f->cert_path, Pem(f->a, f->a)}};
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
  harness::PgTlsConnection before = Connect(f->port);
  CHECK(before.peer_subject() == "CN = cert-a");
  CHECK(before.peer_serial() == f->a.serial);
  CHECK(RoundTrip(before, "before renewal") == "before renewal");

  harness::CommandResult run = RenewWith(*f, Pem(f->b, f->b));
  REQUIRE_MESSAGE(run.exit_code == 0, run.err);
  CHECK_MESSAGE(run.out.find("serial " + f->b.serial + ", subject /CN=cert-b") != std::string::npos,
                run.out);

  harness::PgTlsConnection after = Connect(f->port);
  CHECK(after.peer_subject() == "CN = cert-b");
  CHECK(after.peer_serial() == f->b.serial);
  CHECK(RoundTrip(after, "after renewal") == "after renewal");
  // The connection from before keeps its session and its certificate, and still carries data.
  CHECK(RoundTrip(before, "still open") == "still open");
  CHECK(before.peer_subject() == "CN = cert-a");
  CHECK(ReportedPid(*f->haproxy) == pid);
  CHECK(f->haproxy->IsRunning());
  // The file holds the new certificate, so a restart serves it too.
  CHECK(ReadFile(f->cert_path).value() == Pem(f->b, f->b));
  REQUIRE(f->haproxy->Restart().ok());
  CHECK(Connect(f->port).peer_subject() == "CN = cert-b");
}

TEST_CASE("a PEM whose key does not match is refused with HAProxy's message and changes nothing") {
  std::unique_ptr<Fixture> f = StartFixture();
  REQUIRE(RenewWith(*f, Pem(f->b, f->b)).exit_code == 0);
  const int pid = ReportedPid(*f->haproxy);

  harness::CommandResult run = RenewWith(*f, Pem(f->c, f->a));
  CHECK(run.exit_code == 1);
  CHECK_MESSAGE(run.err.find("inconsistencies between private key and certificate loaded '" +
                             f->cert_path.string() + "'") != std::string::npos,
                run.err);
  CHECK(Connect(f->port).peer_subject() == "CN = cert-b");
  CHECK(ReadFile(f->cert_path).value() == Pem(f->b, f->b));
  // No transaction is left behind for a later commit to serve.
  Result<std::string> list = f->haproxy->Runtime("show ssl cert");
  REQUIRE(list.ok());
  CHECK(list->find("# transaction") == std::string::npos);
  CHECK(ReportedPid(*f->haproxy) == pid);
}

TEST_CASE("a PEM without a private key is refused before HAProxy is asked") {
  std::unique_ptr<Fixture> f = StartFixture();
  harness::CommandResult run = RenewWith(*f, ReadFile(f->b.cert).value());
  CHECK(run.exit_code == 1);
  CHECK_MESSAGE(run.err.find("no private key") != std::string::npos, run.err);
  CHECK(Connect(f->port).peer_subject() == "CN = cert-a");
}

}  // namespace
}  // namespace shardgate::haproxy
