// Tests for RenewCertificate: HAProxy first (fake socket), then the file (a scratch directory).
#include "haproxy/cert_renewal.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include "common/file.h"
#include "tests/fakes/fake_runtime_socket.h"
#include "tests/fakes/scratch_dir.h"

namespace shardgate::haproxy {
namespace {

using testing::FakeRuntimeSocket;
using testing::ScratchDir;

constexpr const char* kOldPem = "-----BEGIN CERTIFICATE-----\nOLD\n-----END CERTIFICATE-----\n"
                                "-----BEGIN PRIVATE KEY-----\nOLD\n-----END PRIVATE KEY-----\n";
constexpr const char* kNewPem = "-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n\n"
                                "-----BEGIN PRIVATE KEY-----\nNEW\n-----END PRIVATE KEY-----\n";

// HAProxy's replies to a set and a commit of `path` that it accepts.
void AcceptSetAndCommit(FakeRuntimeSocket& socket, const std::string& path) {
  socket.ReplyOnce("set ssl cert ", "Transaction created for certificate " + path + "!\n\n");
  socket.ReplyOnce("commit ssl cert ", "Committing " + path + ".\nSuccess!\n\n");
}

mode_t ModeOf(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

TEST_CASE("a certificate HAProxy accepts is committed, then written over the file as given") {
  ScratchDir dir;
  std::filesystem::path cert = dir / "site.pem";
  REQUIRE(WriteFile(cert, kOldPem, 0640).ok());
  REQUIRE(::chmod(cert.c_str(), 0640) == 0);
  FakeRuntimeSocket socket;
  AcceptSetAndCommit(socket, cert.string());
  RuntimeClient client(socket);
  Status s = RenewCertificate(client, cert, kNewPem);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  CHECK(ReadFile(cert).value() == kNewPem);
  CHECK(ModeOf(cert) == 0640);
  CHECK(socket.CommandsStartingWith("commit ssl cert ").size() == 1);
}

TEST_CASE("a certificate HAProxy refuses leaves the file with the old certificate") {
  ScratchDir dir;
  std::filesystem::path cert = dir / "site.pem";
  REQUIRE(WriteFile(cert, kOldPem).ok());
  FakeRuntimeSocket socket;
  socket.ReplyOnce("set ssl cert ",
                   "Transaction created for certificate " + cert.string() + "!\n\n");
  socket.ReplyOnce("commit ssl cert ",
                   "inconsistencies between private key and certificate loaded '" + cert.string() +
                       "'.\nCan't commit " + cert.string() + "!\n\n");
  RuntimeClient client(socket);
  Status s = RenewCertificate(client, cert, kNewPem);
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(s.message().find("inconsistencies between private key and certificate") !=
        std::string::npos);
  CHECK(ReadFile(cert).value() == kOldPem);
  CHECK(socket.CommandsStartingWith("abort ssl cert ").size() == 1);
}

TEST_CASE("a PEM without a key is refused before HAProxy or the file is touched") {
  ScratchDir dir;
  std::filesystem::path cert = dir / "site.pem";
  REQUIRE(WriteFile(cert, kOldPem).ok());
  FakeRuntimeSocket socket;
  RuntimeClient client(socket);
  Status s = RenewCertificate(client, cert,
                              "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n");
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(s.message().find("no private key") != std::string::npos);
  CHECK(socket.commands().empty());
  CHECK(ReadFile(cert).value() == kOldPem);
}

TEST_CASE("a file that cannot be written after HAProxy took the certificate says so") {
  ScratchDir dir;
  std::filesystem::path cert = dir / "missing-dir" / "site.pem";
  FakeRuntimeSocket socket;
  AcceptSetAndCommit(socket, cert.string());
  RuntimeClient client(socket);
  Status s = RenewCertificate(client, cert, kNewPem);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("HAProxy serves the new certificate, but") != std::string::npos);
}

}  // namespace
}  // namespace shardgate::haproxy
