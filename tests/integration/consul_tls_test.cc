// Integration tests of the Consul client over HTTPS (CurlTransport's CA file, host check) against
// shardgate-consul-dev with --tls-cert/--tls-key and a throwaway CA made by the openssl CLI.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "consul/client.h"
#include "consul/curl_transport.h"
#include "tests/harness/consul_dev_process.h"
#include "tests/harness/process.h"
#include "tests/harness/temp_dir.h"

namespace shardgate::consul {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::seconds;

// Extensions of the test CA and of its server certificates (chosen with -extensions).
constexpr const char* kOpensslConfig = R"([req]
distinguished_name = dn
[dn]
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[server_127_0_0_1]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1
[server_127_0_0_2]
basicConstraints = CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.2
)";

// Files of one throwaway PKI in a temp dir, removed with it.
struct Pki {
  std::unique_ptr<harness::TempDir> dir;
  fs::path Path(const std::string& name) const { return dir->path() / name; }
};

void RunOpenssl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  auto run = harness::RunCommand(args, {}, seconds(30));
  REQUIRE_MESSAGE(run.ok(), ("the openssl command line is needed: " + run.status().ToString()));
  REQUIRE_MESSAGE(run->exit_code == 0, (harness::JoinArgv(args) + ": " + run->err));
}

// <name>.key (P-256, unencrypted) and a self-signed <name>.pem CA certificate.
void MakeCa(const Pki& pki, const std::string& name) {
  RunOpenssl({"req", "-x509", "-config", pki.Path("openssl.cnf"), "-extensions", "ca", "-newkey",
              "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
              pki.Path(name + ".key"), "-out", pki.Path(name + ".pem"), "-days", "2", "-subj",
              "/CN=shardgate " + name});
}

// <name>.key and <name>.pem signed by the CA `ca`, with the config section `extensions` (SAN).
void MakeServerCert(const Pki& pki, const std::string& name, const std::string& ca,
                    const std::string& extensions) {
  RunOpenssl({"req", "-new", "-config", pki.Path("openssl.cnf"), "-newkey", "ec", "-pkeyopt",
              "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", pki.Path(name + ".key"), "-out",
              pki.Path(name + ".csr"), "-subj", "/CN=" + name});
  RunOpenssl({"x509", "-req", "-in", pki.Path(name + ".csr"), "-CA", pki.Path(ca + ".pem"),
              "-CAkey", pki.Path(ca + ".key"), "-CAcreateserial", "-out", pki.Path(name + ".pem"),
              "-days", "2", "-extfile", pki.Path("openssl.cnf"), "-extensions", extensions});
}

// ca.pem signs server.pem (IP SAN 127.0.0.1) and wrong-host.pem (IP SAN 127.0.0.2);
// other-ca.pem signs nothing the server uses.
Pki MakePki() {
  auto dir = harness::TempDir::Create("consul-tls-test");
  REQUIRE_MESSAGE(dir.ok(), dir.status().ToString());
  Pki pki{std::move(dir).value()};
  std::ofstream(pki.Path("openssl.cnf")) << kOpensslConfig;
  MakeCa(pki, "ca");
  MakeCa(pki, "other-ca");
  MakeServerCert(pki, "server", "ca", "server_127_0_0_1");
  MakeServerCert(pki, "wrong-host", "ca", "server_127_0_0_2");
  return pki;
}

std::unique_ptr<harness::ConsulDev> StartTlsDev(const Pki& pki,
                                                const std::string& cert = "server") {
  harness::ConsulDevOptions options;
  options.tls_cert_file = pki.Path(cert + ".pem");
  options.tls_key_file = pki.Path(cert + ".key");
  auto dev = harness::ConsulDev::Start(options);
  REQUIRE_MESSAGE(dev.ok(), dev.status().ToString());
  return std::move(dev).value();
}

// A client for `address` trusting `ca_file` (empty: the system store). The transport outlives it.
struct Connection {
  std::unique_ptr<CurlTransport> transport;
  std::unique_ptr<Client> client;
};

Connection Connect(const std::string& address, const fs::path& ca_file) {
  ClientConfig config;
  config.address = address;
  config.ca_file = ca_file.string();
  config.request_timeout = seconds(5);
  auto transport = CurlTransport::Create({config.address, config.ca_file, milliseconds(1000)});
  REQUIRE_MESSAGE(transport.ok(), transport.status().ToString());
  Connection connection{std::move(transport).value(), nullptr};
  connection.client = std::make_unique<Client>(*connection.transport, config);
  return connection;
}

// Given a TLS dev server, then a client trusting its CA can write and read.
void ExpectPutAndGetWork(const harness::ConsulDev& dev, const Pki& pki, const std::string& key) {
  Connection trusted = Connect(dev.url(), pki.Path("ca.pem"));
  REQUIRE(trusted.client->Put(key, "over https").ok());
  auto entry = trusted.client->Get(key);
  REQUIRE_MESSAGE(entry.ok(), entry.status().ToString());
  REQUIRE(entry->has_value());
  CHECK((*entry)->value == "over https");
}

// The refusal of an untrusted or mismatched server: an error value, never a crash.
void ExpectCertificateError(const Status& status) {
  CHECK(status.code() == Code::kUnavailable);
  CHECK_MESSAGE(status.message().find("certificate") != std::string::npos, status.message());
}

}  // namespace

TEST_CASE("a client with the server's CA file puts and gets keys over HTTPS") {
  Pki pki = MakePki();
  auto dev = StartTlsDev(pki);
  CHECK(dev->url().starts_with("https://"));
  // Several rounds on one transport: pooled handles reuse the TLS connection.
  for (int round = 0; round < 5; ++round) ExpectPutAndGetWork(*dev, pki, "tls/key");
}

TEST_CASE("a blocking query over HTTPS returns the value another client writes") {
  Pki pki = MakePki();
  auto dev = StartTlsDev(pki);
  Connection watcher = Connect(dev->url(), pki.Path("ca.pem"));
  Connection writer = Connect(dev->url(), pki.Path("ca.pem"));
  REQUIRE(writer.client->Put("tls/watched", "before").ok());
  auto first = watcher.client->BlockingGet("tls/watched", {});
  REQUIRE_MESSAGE(first.ok(), first.status().ToString());
  // Whether the write lands before or during the blocking request, it returns the new value.
  Result<Queried<std::optional<KvEntry>>> woken = Unavailable("not run");
  std::thread blocked([&] {
    woken = watcher.client->BlockingGet("tls/watched",
                                        {.index = first->meta.index, .wait = seconds(20)});
  });
  REQUIRE(writer.client->Put("tls/watched", "after").ok());
  blocked.join();
  REQUIRE_MESSAGE(woken.ok(), woken.status().ToString());
  REQUIRE(woken->value.has_value());
  CHECK(woken->value->value == "after");
  CHECK(woken->meta.index > first->meta.index);
}

TEST_CASE("a client without the CA, or with another CA, gets a certificate error value") {
  Pki pki = MakePki();
  auto dev = StartTlsDev(pki);
  SUBCASE("no CA file: the system store does not know the test CA") {
    Connection untrusted = Connect(dev->url(), "");
    ExpectCertificateError(untrusted.client->Put("tls/key", "x"));
    ExpectCertificateError(untrusted.client->Get("tls/key").status());
  }
  SUBCASE("another CA") {
    Connection untrusted = Connect(dev->url(), pki.Path("other-ca.pem"));
    ExpectCertificateError(untrusted.client->Put("tls/key", "x"));
  }
  // The refused handshakes hurt neither the server nor a trusting client.
  ExpectPutAndGetWork(*dev, pki, "tls/after-refusal");
}

TEST_CASE("a certificate signed by the CA for another address is refused") {
  Pki pki = MakePki();
  auto dev = StartTlsDev(pki, "wrong-host");
  Connection client = Connect(dev->url(), pki.Path("ca.pem"));
  Status put = client.client->Put("tls/key", "x");
  ExpectCertificateError(put);
  CHECK_MESSAGE(put.message().find("127.0.0.1") != std::string::npos, put.message());
}

TEST_CASE("plain http against the HTTPS port fails with an error value") {
  Pki pki = MakePki();
  auto dev = StartTlsDev(pki);
  Connection plain = Connect("http://" + dev->address(), "");
  Status put = plain.client->Put("tls/key", "x");
  // httplib drops the connection ("Empty reply from server"); real Consul answers 400
  // "Client sent an HTTP request to an HTTPS server." (invalid_argument). Either is a value.
  CHECK(put.code() == Code::kUnavailable);
  CHECK_MESSAGE(put.message().find("/v1/kv/tls/key") != std::string::npos, put.ToString());
  ExpectPutAndGetWork(*dev, pki, "tls/after-plain");
}

TEST_CASE("the dev server refuses to start with a key that does not match its certificate") {
  Pki pki = MakePki();
  auto bin = harness::ConsulDevBinary();
  REQUIRE_MESSAGE(bin.ok(), bin.status().ToString());
  auto run = harness::RunCommand({bin->string(), "--port", "0", "--tls-cert",
                                  pki.Path("server.pem").string(), "--tls-key",
                                  pki.Path("other-ca.key").string()},
                                 {}, seconds(10));
  REQUIRE_MESSAGE(run.ok(), run.status().ToString());
  CHECK(run->exit_code == 2);
  CHECK_MESSAGE(run->err.find("--tls-key") != std::string::npos, run->err);
  CHECK_MESSAGE(run->err.find("key values mismatch") != std::string::npos, run->err);
}

}  // namespace shardgate::consul
