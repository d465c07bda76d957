// TLS at the router, as clients see it: real psql/libpq (sslmode require, verify-full, disable),
// a PostgreSQL 17-style direct TLS client, cancels in clear text and inside TLS, and clients
// that break the negotiation, against real HAProxy and PostgreSQL (primary + replica per shard).
// The stack serves TLS on both ports and requires it on the ro port.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/harness/eventually.h"
#include "tests/harness/pg_tls_client.h"
#include "tests/harness/pgwire_client.h"
#include "tests/harness/process.h"
#include "tests/harness/psql_client.h"
#include "tests/harness/stack.h"
#include "tests/harness/test_certs.h"
#include "tests/integration/router_fixture.h"

namespace shardgate::integration {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

harness::Stack* TlsStack() {
  static std::unique_ptr<harness::Stack> stack;
  static std::string failure;
  if (!stack && failure.empty()) {
    harness::StackOptions options;
    options.shards = {"shard_1", "shard_2"};
    options.segments = BaseSegments();
    options.tls = true;
    options.tls_require_ro = true;
    auto started = harness::Stack::Start(options);
    if (started.ok()) {
      stack = std::move(*started);
    } else {
      failure = started.status().ToString();
    }
  }
  if (!failure.empty()) FAIL_CHECK("the TLS stack did not start: " << failure);
  return stack.get();
}

// psql through the router as a user would type it; sslmode and the CA through the environment.
Result<harness::CommandResult> TlsPsql(harness::Stack& stack, const std::string& host, int port,
                                       const std::string& sslmode, int64_t key,
                                       const std::string& sql, const std::string& ca = "") {
  harness::PsqlArgs args;
  args.host = host;
  args.port = port;
  args.sslmode = sslmode;
  args.options = KeyOption(key);
  args.sql = sql;
  args.env = {{"PGSSLROOTCERT", ca.empty() ? stack.tls_ca().string() : ca}};
  return harness::Psql(args);
}

std::string Routed(const Result<harness::CommandResult>& result) {
  if (!result.ok()) return result.status().ToString();
  if (result->exit_code != 0) return result->err;
  return harness::FirstLine(result->out);
}

harness::TlsClientOptions TlsOptions(int port, harness::TlsNegotiation negotiation) {
  harness::TlsClientOptions options;
  options.port = port;
  options.negotiation = negotiation;
  return options;
}

harness::StartupParams KeyedStartup(int64_t key) {
  return {{"user", "postgres"}, {"database", "postgres"}, {"options", KeyOption(key)}};
}

// A TLS session through the router, started and ready; fails the test otherwise.
Result<harness::PgTlsConnection> ReadySession(int port, harness::TlsNegotiation negotiation,
                                              int64_t key, harness::BackendKey* backend_key) {
  ASSIGN_OR_RETURN(auto connection, harness::PgTlsConnection::Open(TlsOptions(port, negotiation)));
  ASSIGN_OR_RETURN(harness::StartupReply reply, harness::TlsStartup(connection, KeyedStartup(key)));
  if (!reply.ready) {
    return Unavailable(
        "startup not ready: " +
        (reply.error ? reply.error->sqlstate + " " + reply.error->message : std::string("closed")));
  }
  if (backend_key) *backend_key = reply.key;
  return connection;
}

// HAProxy's current connections (`show info` CurrConns).
Result<int> CurrentConnections(harness::HaproxyProcess& haproxy) {
  ASSIGN_OR_RETURN(std::string info, haproxy.Runtime("show info"));
  std::stringstream lines(info);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("CurrConns: ", 0) == 0) return std::stoi(line.substr(11));
  }
  return ProtocolError("show info has no CurrConns: " + info);
}

// A plain TCP connection to the router, for clients that break the TLS negotiation.
class RawClient {
 public:
  explicit RawClient(int port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval tv{10, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() { close(fd_); }
  bool connected() const { return connected_; }
  void Send(const std::string& bytes) { CHECK(send(fd_, bytes.data(), bytes.size(), 0) > 0); }
  // Reads until the router closes (or 10 s pass); returns the bytes and how long it took.
  std::string ReadToClose(milliseconds* waited) {
    auto start = std::chrono::steady_clock::now();
    std::string got;
    char buf[512];
    ssize_t n;
    while ((n = recv(fd_, buf, sizeof(buf), 0)) > 0) got.append(buf, static_cast<size_t>(n));
    *waited = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
    closed_ = n == 0;
    return got;
  }
  bool closed_by_peer() const { return closed_; }

 private:
  int fd_;
  bool connected_ = false;
  bool closed_ = false;
};

std::string SslRequest() {
  std::string packet;
  harness::AppendInt32(packet, 8);
  harness::AppendInt32(packet, 80877103);
  return packet;
}

TEST_CASE("psql with sslmode=require and verify-full routes by key over TLS on both ports") {
  harness::Stack* stack = TlsStack();
  REQUIRE(stack);
  const std::string cluster = "select current_setting('cluster_name')";
  for (int port : {stack->rw_port(), stack->ro_port()}) {
    const std::string node = port == stack->rw_port() ? "/n1" : "/n2";
    for (const char* mode : {"require", "verify-full"}) {
      CAPTURE(port);
      CAPTURE(mode);
      CHECK(Routed(TlsPsql(*stack, "localhost", port, mode, 42, cluster)) == "shard_1" + node);
      CHECK(Routed(TlsPsql(*stack, "localhost", port, mode, 7000, cluster)) == "shard_2" + node);
      auto info = TlsPsql(*stack, "localhost", port, mode, 42, "\\conninfo");
      REQUIRE(info.ok());
      CHECK_MESSAGE(info->out.find("SSL connection (protocol: TLSv1.3") != std::string::npos,
                    info->out << info->err);
    }
  }
  // The TLS frontend logs the session, with the client's own address and the protocol.
  CHECK_FALSE(WaitForLogLine(*stack->haproxy(), {"127.0.0.1:", "shardgate_ro_tls~ shard_2_ro/n2",
                                                 "key=7000", "tls=TLSv1.3"})
                  .empty());
}

TEST_CASE("verify-full fails on the client for another host name or an unknown CA") {
  harness::Stack* stack = TlsStack();
  REQUIRE(stack);
  harness::PsqlArgs args;
  args.host = "db.example.com";  // the name checked against the certificate...
  args.env = {{"PGHOSTADDR", "127.0.0.1"}, {"PGSSLROOTCERT", stack->tls_ca().string()}};
  args.port = stack->rw_port();  // ...while the connection goes to the router
  args.sslmode = "verify-full";
  args.options = KeyOption(42);
  args.sql = "select 1";
  auto other_host = harness::Psql(args);
  REQUIRE(other_host.ok());
  CHECK(other_host->exit_code != 0);
  CHECK_MESSAGE(other_host->err.find("does not match host name \"db.example.com\"") !=
                    std::string::npos,
                other_host->err);

  auto ca = harness::MakeTestCa(stack->dir() / "other-ca");
  REQUIRE(ca.ok());
  auto unknown_ca = TlsPsql(*stack, "localhost", stack->rw_port(), "verify-full", 42, "select 1",
                            ca->ca_cert);
  REQUIRE(unknown_ca.ok());
  CHECK(unknown_ca->exit_code != 0);
  CHECK_MESSAGE(unknown_ca->err.find("certificate verify failed") != std::string::npos,
                unknown_ca->err);
}

TEST_CASE("sslmode=disable still works where TLS is optional, and is refused where required") {
  harness::Stack* stack = TlsStack();
  REQUIRE(stack);
  const std::string cluster = "select current_setting('cluster_name')";
  CHECK(Routed(TlsPsql(*stack, "127.0.0.1", stack->rw_port(), "disable", 42, cluster)) ==
        "shard_1/n1");
  CHECK_FALSE(WaitForLogLine(*stack->haproxy(), {"shardgate_rw shard_1_rw/n1", "tls=-"}).empty());

  auto refused = TlsPsql(*stack, "127.0.0.1", stack->ro_port(), "disable", 42, cluster);
  REQUIRE(refused.ok());
  CHECK(refused->exit_code != 0);
  CHECK_MESSAGE(refused->err.find("FATAL:  shardgate: TLS is required on this port") !=
                    std::string::npos,
                refused->err);
  harness::ErrorFields error = StartupErrorVia(stack->ro_port(), KeyedStartup(42));
  CHECK(error.sqlstate == "28000");
  // libpq's default (prefer) asks for TLS first and gets it.
  CHECK(Routed(TlsPsql(*stack, "127.0.0.1", stack->ro_port(), "prefer", 42, cluster)) ==
        "shard_1/n2");
}

TEST_CASE("Ctrl-C cancels a pg_sleep in a TLS session within a second") {
  harness::Stack* stack = TlsStack();
  REQUIRE(stack);
  // libpq 15 sends its CancelRequest in clear text on a new connection.
  auto cancelled = CancelSleepVia(*stack, stack->rw_port(), 42, "shard_1", "postgres",
                                  {{"PGSSLMODE", "require"}});
  CheckCancelledQuickly(cancelled);
}

TEST_CASE("a CancelRequest sent inside TLS (libpq 17) reaches the session's server") {
  harness::Stack* stack = TlsStack();
  REQUIRE(stack);
  for (auto negotiation :
       {harness::TlsNegotiation::kSslRequest, harness::TlsNegotiation::kDirect}) {
    harness::BackendKey key;
    auto session = ReadySession(stack->ro_port(), negotiation, 42, &key);
    REQUIRE_MESSAGE(session.ok(), session.status().ToString());
    REQUIRE(session->Send(harness::QueryMessage("select pg_sleep(30)")).ok());
    std::this_thread::sleep_for(milliseconds(300));  // the sleep is running on the replica
    auto sent = std::chrono::steady_clock::now();
    REQUIRE(
        harness::TlsCancel(TlsOptions(stack->ro_port(), negotiation), key.pid, key.secret).ok());
    bool cancelled = false;
    while (!cancelled && std::chrono::steady_clock::now() - sent < seconds(5)) {
      auto message = session->ReadMessage(seconds(5));
      REQUIRE_MESSAGE(message.ok(), message.status().ToString());
      if (message->type != 'E') continue;
      auto fields = harness::ParseErrorFields(message->body);
      REQUIRE(fields.ok());
      CHECK(fields->sqlstate == "57014");  // query_canceled
      cancelled = true;
    }
    CHECK(cancelled);
    CHECK(std::chrono::steady_clock::now() - sent < seconds(1));
  }
}

TEST_CASE("a PostgreSQL 17 direct TLS client routes with ALPN postgresql and is refused without") {
  harness::Stack* stack = TlsStack();
  REQUIRE(stack);
  for (int port : {stack->rw_port(), stack->ro_port()}) {
    CAPTURE(port);
    auto session = ReadySession(port, harness::TlsNegotiation::kDirect, 7000, nullptr);
    REQUIRE_MESSAGE(session.ok(), session.status().ToString());
    CHECK(session->alpn() == "postgresql");
    auto cluster = harness::TlsSimpleQuery(*session, "select current_setting('cluster_name')");
    REQUIRE_MESSAGE(cluster.ok(), cluster.status().ToString());
    CHECK(*cluster == (port == stack->rw_port() ? "shard_2/n1" : "shard_2/n2"));
  }
  for (std::vector<std::string> alpn :
       {std::vector<std::string>{}, std::vector<std::string>{"http/1.1"}}) {
    CAPTURE(alpn.size());
    auto options = TlsOptions(stack->rw_port(), harness::TlsNegotiation::kDirect);
    options.alpn = alpn;
    auto connection = harness::PgTlsConnection::Open(options);
    REQUIRE_MESSAGE(connection.ok(), connection.status().ToString());
    auto reply = harness::TlsStartup(*connection, KeyedStartup(42));
    // Closed without an answer, as PostgreSQL 17 closes (the send may also fail on the close).
    if (reply.ok()) {
      CHECK(reply->closed);
      CHECK_FALSE(reply->ready);
    }
  }
  CHECK_FALSE(WaitForLogLine(*stack->haproxy(), {"tls_refused", "code=no_alpn", "client=127.0.0.1"})
                  .empty());
}

TEST_CASE("broken TLS negotiations end cleanly and leave other sessions alone") {
  harness::Stack* stack = TlsStack();
  REQUIRE(stack);
  harness::HaproxyProcess& haproxy = *stack->haproxy();
  auto bystander = ReadySession(stack->rw_port(), harness::TlsNegotiation::kSslRequest, 42,
                                nullptr);
  REQUIRE_MESSAGE(bystander.ok(), bystander.status().ToString());
  auto baseline = CurrentConnections(haproxy);
  REQUIRE(baseline.ok());
  auto hello = harness::ClientHelloBytes();
  REQUIRE(hello.ok());

  SUBCASE("garbage after S is closed at once, without a reply") {
    RawClient client(stack->rw_port());
    REQUIRE(client.connected());
    client.Send(SslRequest());
    client.Send(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    milliseconds waited{0};
    CHECK(client.ReadToClose(&waited) == "S");
    CHECK(client.closed_by_peer());
    CHECK(waited < seconds(2));
  }
  SUBCASE("a handshake cut half-way is dropped") {
    RawClient client(stack->rw_port());
    REQUIRE(client.connected());
    client.Send(SslRequest());
    client.Send(hello->substr(0, hello->size() / 2));
  }  // the client closes here
  SUBCASE("a client that never sends its ClientHello is closed by the inspect-delay") {
    RawClient client(stack->rw_port());
    REQUIRE(client.connected());
    client.Send(SslRequest());
    milliseconds waited{0};
    CHECK(client.ReadToClose(&waited) == "S");
    CHECK(client.closed_by_peer());
    CHECK(waited < seconds(8));  // tcp-request inspect-delay 5s
  }
  SUBCASE("direct TLS that is not a ClientHello is closed") {
    RawClient client(stack->rw_port());
    REQUIRE(client.connected());
    client.Send(std::string("\x16\x03\x01\x00\x10\x02", 6) + std::string(16, 'x'));
    milliseconds waited{0};
    CHECK(client.ReadToClose(&waited).empty());
    CHECK(client.closed_by_peer());
  }
  // HAProxy is back to the bystander's connections, and the bystander still works.
  int now = -1;
  bool drained = harness::Eventually([&] {
    auto current = CurrentConnections(haproxy);
    now = current.ok() ? *current : -1;
    return current.ok() && now <= *baseline;
  });
  CHECK_MESSAGE(drained, now << " connections, " << *baseline << " before");
  auto still = harness::TlsSimpleQuery(*bystander, "select current_setting('cluster_name')");
  REQUIRE_MESSAGE(still.ok(), still.status().ToString());
  CHECK(*still == "shard_1/n1");
  CHECK(stack->ExitedComponent().empty());
}

TEST_CASE("a renewed certificate reaches new TLS sessions on both ports without a reload") {
  harness::Stack* stack = TlsStack();
  REQUIRE(stack);
  REQUIRE(stack->tls_authority());
  auto old_session = ReadySession(stack->rw_port(), harness::TlsNegotiation::kSslRequest, 42,
                                  nullptr);
  REQUIRE_MESSAGE(old_session.ok(), old_session.status().ToString());
  const std::string old_serial = old_session->peer_serial();
  auto pid_before = stack->haproxy()->Runtime("show info");
  REQUIRE(pid_before.ok());

  auto renewed = harness::IssueServerCert(*stack->tls_authority(), "router-renewed",
                                          {"localhost", "127.0.0.1"});
  REQUIRE_MESSAGE(renewed.ok(), renewed.status().ToString());
  REQUIRE(renewed->serial != old_serial);
  auto tool = harness::BuildBinary("haproxy/shardgate-haproxy");
  REQUIRE_MESSAGE(tool.ok(), tool.status().ToString());
  auto run = harness::RunCommand(
      {tool->string(), "tls-cert", "--socket", stack->haproxy()->socket().string(), "--cert",
       stack->tls_cert()->pem.string(), "--from", renewed->pem.string()});
  REQUIRE(run.ok());
  CHECK_MESSAGE(run->exit_code == 0, run->out << run->err);

  for (int port : {stack->rw_port(), stack->ro_port()}) {
    for (auto negotiation :
         {harness::TlsNegotiation::kSslRequest, harness::TlsNegotiation::kDirect}) {
      CAPTURE(port);
      auto session = ReadySession(port, negotiation, 42, nullptr);
      REQUIRE_MESSAGE(session.ok(), session.status().ToString());
      CHECK(session->peer_serial() == renewed->serial);
    }
  }
  CHECK(Routed(TlsPsql(*stack, "localhost", stack->rw_port(), "verify-full", 42,
                       "select current_setting('cluster_name')")) == "shard_1/n1");
  // The session opened before goes on with its own TLS state, in the same HAProxy process.
  CHECK(old_session->peer_serial() == old_serial);
  auto still = harness::TlsSimpleQuery(*old_session, "select current_setting('cluster_name')");
  REQUIRE_MESSAGE(still.ok(), still.status().ToString());
  CHECK(*still == "shard_1/n1");
  auto pid_after = stack->haproxy()->Runtime("show info");
  REQUIRE(pid_after.ok());
  auto pid_line = [](const std::string& info) { return info.substr(info.find("\nPid: "), 16); };
  CHECK(pid_line(*pid_after) == pid_line(*pid_before));
}

}  // namespace
}  // namespace shardgate::integration
