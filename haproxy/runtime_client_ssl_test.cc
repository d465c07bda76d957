// Tests for RuntimeClient's ssl cert commands against the recording fake socket, with replies
// as HAProxy 2.6.12 wrote them (haproxy/testdata/*ssl_cert*.txt).
#include <doctest/doctest.h>

#include "haproxy/runtime_client.h"
#include "tests/fakes/fake_runtime_socket.h"

namespace shardgate::haproxy {
namespace {

using testing::FakeRuntimeSocket;

constexpr const char* kPath = "/tmp/shardgate-tls/site.pem";
constexpr const char* kPem =
    "-----BEGIN CERTIFICATE-----\r\nMIIB\r\n-----END CERTIFICATE-----\r\n\r\n"
    "-----BEGIN PRIVATE KEY-----\r\nMIIE\r\n-----END PRIVATE KEY-----\r\n";
constexpr const char* kPayload = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
                                 "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n";
constexpr const char* kCreated =
    "Transaction created for certificate /tmp/shardgate-tls/site.pem!\n\n";
constexpr const char* kCommitted = "Committing /tmp/shardgate-tls/site.pem..\nSuccess!\n\n";
constexpr const char* kAborted =
    "Transaction aborted for certificate '/tmp/shardgate-tls/site.pem'!\n\n";
constexpr const char* kKeyMismatch =
    "inconsistencies between private key and certificate loaded '/tmp/shardgate-tls/site.pem'.\n"
    "Can't commit /tmp/shardgate-tls/site.pem!\n\n";

std::string Cmd(const std::string& verb) { return verb + " ssl cert " + kPath; }

TEST_CASE("a replacement sends the PEM without blank lines as a payload, then commits") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("set ssl cert ", std::string(kCreated));
  socket.ReplyOnce("commit ssl cert ", std::string(kCommitted));
  RuntimeClient client(socket);
  Status s = client.ReplaceSslCert(kPath, kPem);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  std::vector<std::string> commands = socket.commands();
  REQUIRE(commands.size() == 2);
  CHECK(commands[0] == Cmd("set") + " <<\n" + kPayload);
  CHECK(commands[1] == Cmd("commit"));
}

TEST_CASE("a certificate HAProxy refuses at commit is aborted and the error is HAProxy's") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("set ssl cert ", std::string(kCreated));
  socket.ReplyOnce("commit ssl cert ", std::string(kKeyMismatch));
  socket.ReplyOnce("abort ssl cert ", std::string(kAborted));
  RuntimeClient client(socket);
  Status s = client.ReplaceSslCert(kPath, kPem);
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(s.message().find("inconsistencies between private key and certificate loaded") !=
        std::string::npos);
  CHECK(s.message().find("certificate /tmp/shardgate-tls/site.pem not replaced") !=
        std::string::npos);
  std::vector<std::string> commands = socket.commands();
  REQUIRE(commands.size() == 3);
  CHECK(commands[2] == Cmd("abort"));
}

TEST_CASE("a PEM HAProxy cannot load is not committed, and the transaction is aborted") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("set ssl cert ",
                   std::string("unable to load certificate from file '/tmp/shardgate-tls/"
                               "site.pem'.\nCan't load the payload\nCan't update "
                               "/tmp/shardgate-tls/site.pem!\n\n"));
  socket.ReplyOnce("abort ssl cert ", std::string("No ongoing transaction!\n\n"));
  RuntimeClient client(socket);
  Status s = client.ReplaceSslCert(kPath, kPem);
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(s.message().find("unable to load certificate") != std::string::npos);
  CHECK(socket.CommandsStartingWith("commit ").empty());
  CHECK(socket.CommandsStartingWith("abort ssl cert ") == std::vector<std::string>{Cmd("abort")});
}

TEST_CASE("a garbled commit reply is a protocol error, and the transaction is aborted") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("set ssl cert ", std::string(kCreated));
  socket.ReplyOnce("commit ssl cert ", std::string("Committing\n\n"));
  RuntimeClient client(socket);
  Status s = client.ReplaceSslCert(kPath, kPem);
  CHECK(s.code() == Code::kProtocol);
  CHECK(s.message().find("expected 'Committing /tmp/shardgate-tls/site.pem") != std::string::npos);
  CHECK(socket.CommandsStartingWith("abort ssl cert ").size() == 1);
}

TEST_CASE("no reply to the payload (larger than HAProxy's buffer) is a protocol error") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("set ssl cert ", std::string());
  RuntimeClient client(socket);
  Status s = client.SetSslCert(kPath, kPem);
  CHECK(s.code() == Code::kProtocol);
  CHECK(s.message().find("tune.bufsize") != std::string::npos);
}

TEST_CASE("a payload HAProxy put into another file's transaction is aborted there, not committed") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce(
      "set ssl cert ",
      std::string("Transaction updated for certificate /tmp/shardgate-tls/other.pem!\n\n"));
  socket.ReplyOnce("abort ssl cert ", std::string("Transaction aborted for certificate "
                                                  "'/tmp/shardgate-tls/other.pem'!\n\n"));
  RuntimeClient client(socket);
  Status s = client.ReplaceSslCert(kPath, kPem);
  CHECK(s.code() == Code::kConflict);
  CHECK(s.message().find("/tmp/shardgate-tls/other.pem") != std::string::npos);
  CHECK(socket.CommandsStartingWith("commit ").empty());
  CHECK(socket.CommandsStartingWith("abort ") ==
        std::vector<std::string>{"abort ssl cert /tmp/shardgate-tls/other.pem"});
}

TEST_CASE("an empty PEM or a path with a blank is refused before anything is sent") {
  FakeRuntimeSocket socket;
  RuntimeClient client(socket);
  CHECK(client.SetSslCert(kPath, "\n\r\n").code() == Code::kInvalidArgument);
  CHECK(client.SetSslCert("/etc/my cert.pem", kPem).code() == Code::kInvalidArgument);
  CHECK(socket.commands().empty());
}

TEST_CASE("show ssl cert reads the served certificate") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("show ssl cert ",
                   std::string("Filename: /tmp/shardgate-tls/site.pem\nStatus: Used\nSerial: "
                               "03EA\nnotBefore: Nov 30 19:00:28 2026 GMT\nnotAfter: Dec 30 "
                               "19:00:28 2026 GMT\nSubject: /CN=cert-b\n\n"));
  RuntimeClient client(socket);
  Result<SslCertInfo> info = client.ShowSslCert(kPath);
  REQUIRE(info.ok());
  CHECK(info->serial == "03EA");
  CHECK(info->subject == "/CN=cert-b");
  CHECK(socket.commands() == std::vector<std::string>{Cmd("show")});
}

TEST_CASE("show ssl cert describing another file than the one asked for is a protocol error") {
  FakeRuntimeSocket socket;
  socket.ReplyOnce("show ssl cert ",
                   std::string("Filename: */tmp/shardgate-tls/site.pem\nSerial: 03EA\nnotAfter: "
                               "Dec 30 19:00:28 2026 GMT\n\n"));
  RuntimeClient client(socket);
  CHECK(client.ShowSslCert(kPath).status().code() == Code::kProtocol);
}

}  // namespace
}  // namespace shardgate::haproxy
