// The harness's TLS pieces: the client against real PostgreSQL 15 with ssl = on (SSLRequest,
// verification, cancel inside TLS, a cut handshake), direct TLS against an in-process TLS server,
// and a Stack with TLS.
#include <doctest/doctest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "tests/harness/fake_pg_server.h"
#include "tests/harness/pg_node.h"
#include "tests/harness/pg_tls_client.h"
#include "tests/harness/pgwire_client.h"
#include "tests/harness/stack.h"
#include "tests/harness/temp_dir.h"
#include "tests/harness/test_certs.h"
#include "tests/integration/tls_echo_server.h"

namespace shardgate::harness {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const StartupParams kParams = {{"user", "postgres"}, {"database", "postgres"}};

// One PostgreSQL 15 node with ssl = on and a certificate for localhost and 127.0.0.1, shared by
// every case: starting PostgreSQL is the slow part.
struct TlsNode {
  std::unique_ptr<TempDir> dir;
  TestCerts ca;
  IssuedCert cert;
  std::unique_ptr<PgNode> node;
};

TlsNode& SharedNode() {
  static std::unique_ptr<TlsNode> shared = [] {
    auto out = std::make_unique<TlsNode>();
    out->dir = TempDir::Create("shardgate-tls").value();
    out->ca = MakeTestCa(out->dir->path() / "ca").value();
    out->cert = IssueServerCert(out->ca, "pg", {"localhost", "127.0.0.1"}).value();
    PgNodeSpec spec{"n1", "tls/n1", out->dir->path(), 0, out->cert};
    auto node = PgNode::StartPrimary(spec);
    REQUIRE_MESSAGE(node.ok(), node.status().ToString());
    out->node = std::move(*node);
    return out;
  }();
  return *shared;
}

TlsClientOptions ToNode(const TlsNode& tls) {
  TlsClientOptions options;
  options.port = tls.node->port();
  return options;
}

TlsClientOptions Verifying(const TlsNode& tls, const std::string& host) {
  TlsClientOptions options = ToNode(tls);
  options.ca_file = tls.ca.ca_cert.string();
  options.verify_host = host;
  return options;
}

TEST_CASE("a session after SSLRequest is encrypted as PostgreSQL itself reports") {
  TlsNode& tls = SharedNode();
  auto connection = PgTlsConnection::Open(ToNode(tls));
  REQUIRE_MESSAGE(connection.ok(), connection.status().ToString());
  CHECK((connection->protocol() == "TLSv1.3" || connection->protocol() == "TLSv1.2"));
  CHECK(connection->alpn() == "");  // PostgreSQL 15 takes no part in ALPN
  CHECK(connection->peer_serial() == tls.cert.serial);
  CHECK(connection->peer_subject() == "CN = localhost");

  auto reply = TlsStartup(*connection, kParams);
  REQUIRE_MESSAGE(reply.ok(), reply.status().ToString());
  CHECK(reply->ready);
  CHECK(reply->key.pid != 0);
  auto ssl = TlsSimpleQuery(*connection,
                            "select ssl from pg_stat_ssl where pid = pg_backend_pid()");
  REQUIRE_MESSAGE(ssl.ok(), ssl.status().ToString());
  CHECK(*ssl == "t");
  auto missing = TlsSimpleQuery(*connection, "select * from no_such_table");
  CHECK(missing.status().code() == Code::kInvalidArgument);
  CHECK(missing.status().message().find("42P01") != std::string::npos);
}

TEST_CASE("the certificate verifies against the test CA for localhost and for 127.0.0.1") {
  TlsNode& tls = SharedNode();
  for (const std::string host : {"localhost", "127.0.0.1"}) {
    auto connection = PgTlsConnection::Open(Verifying(tls, host));
    CHECK_MESSAGE(connection.ok(), (host + ": " + connection.status().ToString()));
  }
}

TEST_CASE("verification for a name the certificate does not carry fails naming the mismatch") {
  auto connection = PgTlsConnection::Open(Verifying(SharedNode(), "db.example.com"));
  REQUIRE_FALSE(connection.ok());
  CHECK(connection.status().code() == Code::kUnavailable);
  CHECK_MESSAGE(connection.status().message().find("hostname mismatch") != std::string::npos,
                connection.status().ToString());
  CHECK(connection.status().message().find("db.example.com") != std::string::npos);
}

TEST_CASE("a certificate from another CA fails verification") {
  TlsNode& tls = SharedNode();
  auto other = MakeTestCa(tls.dir->path() / "other-ca");
  REQUIRE_MESSAGE(other.ok(), other.status().ToString());
  TlsClientOptions options = Verifying(tls, "localhost");
  options.ca_file = other->ca_cert.string();
  auto connection = PgTlsConnection::Open(options);
  REQUIRE_FALSE(connection.ok());
  CHECK_MESSAGE(connection.status().message().find("certificate verify failed") !=
                    std::string::npos,
                connection.status().ToString());
}

TEST_CASE("each issued certificate gets its own serial") {
  TlsNode& tls = SharedNode();
  auto again = IssueServerCert(tls.ca, "pg-renewed", {"localhost"});
  REQUIRE_MESSAGE(again.ok(), again.status().ToString());
  CHECK(again->serial != tls.cert.serial);
  CHECK_FALSE(again->serial.empty());
}

TEST_CASE("a CancelRequest sent inside TLS cancels the running query") {
  TlsNode& tls = SharedNode();
  auto connection = PgTlsConnection::Open(ToNode(tls));
  REQUIRE_MESSAGE(connection.ok(), connection.status().ToString());
  auto reply = TlsStartup(*connection, kParams);
  REQUIRE_MESSAGE(reply.ok(), reply.status().ToString());
  REQUIRE(connection->Send(QueryMessage("select pg_sleep(30)")).ok());

  Status cancel = TlsCancel(ToNode(tls), reply->key.pid, reply->key.secret);
  CHECK_MESSAGE(cancel.ok(), cancel.ToString());
  auto result = ReadQueryReply(
      [&](milliseconds timeout) { return connection->ReadMessage(timeout); }, seconds(10));
  REQUIRE_MESSAGE(result.ok(), result.status().ToString());
  REQUIRE(result->error.has_value());
  CHECK(result->error->sqlstate == "57014");  // query_canceled
}

TEST_CASE("a ClientHello cut half-way is dropped and the next client is served") {
  TlsNode& tls = SharedNode();
  auto hello = ClientHelloBytes();
  REQUIRE_MESSAGE(hello.ok(), hello.status().ToString());
  CHECK(static_cast<unsigned char>((*hello)[0]) == 0x16);  // TLS handshake record
  CHECK(static_cast<unsigned char>((*hello)[1]) == 0x03);
  CHECK(hello->find("postgresql") != std::string::npos);  // the ALPN extension

  auto plain = PgWireConnection::Connect("127.0.0.1", tls.node->port(), seconds(5));
  REQUIRE(plain.ok());
  REQUIRE(plain->Send(SslRequest()).ok());
  CHECK(plain->ReadByte(seconds(5)).value() == 'S');
  REQUIRE(plain->Send(hello->substr(0, hello->size() / 2)).ok());
  plain->ShutdownWrite();
  CHECK(plain->ReadUntilClosed(seconds(5)).ok());

  auto next = PgTlsConnection::Open(ToNode(tls));
  REQUIRE_MESSAGE(next.ok(), next.status().ToString());
  CHECK(TlsStartup(*next, kParams)->ready);
}

TEST_CASE("a server that answers SSLRequest with N is an error saying so") {
  auto fake = FakePgServer::Start();
  REQUIRE(fake.ok());
  TlsClientOptions options;
  options.port = (*fake)->port();
  auto connection = PgTlsConnection::Open(options);
  REQUIRE_FALSE(connection.ok());
  CHECK_MESSAGE(connection.status().message().find("answered 'N'") != std::string::npos,
                connection.status().ToString());
}

TEST_CASE("direct TLS sends the ClientHello first and negotiates ALPN postgresql") {
  TlsNode& tls = SharedNode();
  auto server = TlsEchoServer::Start(tls.cert);
  REQUIRE_MESSAGE(server.ok(), server.status().ToString());
  TlsClientOptions options;
  options.port = (*server)->port();
  options.negotiation = TlsNegotiation::kDirect;
  options.ca_file = tls.ca.ca_cert.string();
  options.verify_host = "localhost";
  auto connection = PgTlsConnection::Open(options);
  REQUIRE_MESSAGE(connection.ok(), connection.status().ToString());
  CHECK(connection->alpn() == "postgresql");
  REQUIRE(connection->Send(QueryMessage("ping")).ok());
  auto echoed = connection->ReadMessage(seconds(5));
  REQUIRE_MESSAGE(echoed.ok(), echoed.status().ToString());
  CHECK(echoed->type == 'Q');
  CHECK((*server)->first_byte() == 0x16);  // no SSLRequest before the handshake
}

TEST_CASE("without ALPN the connection negotiates none") {
  TlsNode& tls = SharedNode();
  auto server = TlsEchoServer::Start(tls.cert);
  REQUIRE_MESSAGE(server.ok(), server.status().ToString());
  TlsClientOptions options;
  options.port = (*server)->port();
  options.negotiation = TlsNegotiation::kDirect;
  options.alpn = {};
  auto connection = PgTlsConnection::Open(options);
  REQUIRE_MESSAGE(connection.ok(), connection.status().ToString());
  CHECK(connection->alpn() == "");
}

TEST_CASE("a stack with TLS gives HAProxy a certificate for localhost and publishes its CA") {
  StackOptions options;
  options.replicas = 0;
  options.tls = true;
  options.tls_require_ro = true;
  auto stack = Stack::Start(options);
  REQUIRE_MESSAGE(stack.ok(), stack.status().ToString());
  const haproxy::TlsSpec& spec = (*stack)->config_spec().tls;
  REQUIRE((*stack)->tls_cert() != nullptr);
  CHECK(spec.cert_path == (*stack)->tls_cert()->pem.string());
  CHECK_FALSE(spec.require_rw);
  CHECK(spec.require_ro);
  CHECK(std::filesystem::exists((*stack)->tls_ca()));
  std::string published;
  for (const auto& [key, value] : (*stack)->env()) {
    if (key == "SHARDGATE_TLS_CA") published = value;
  }
  CHECK(published == (*stack)->tls_ca().string());
}

TEST_CASE("a stack refuses TLS required without tls") {
  StackOptions options;
  options.tls_require_rw = true;
  auto stack = Stack::Start(options);
  CHECK(stack.status().code() == Code::kInvalidArgument);
}

}  // namespace
}  // namespace shardgate::harness
