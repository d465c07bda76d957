// Tests for the PEM checks and the runtime-API payload form of a PEM.
#include "haproxy/pem.h"

#include <doctest/doctest.h>

namespace shardgate::haproxy {
namespace {

constexpr const char* kCert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

std::string Key(const std::string& label) {
  return "-----BEGIN " + label + "-----\nMIIE\n-----END " + label + "-----\n";
}

TEST_CASE("a PEM with a certificate and a key of any unencrypted form passes") {
  for (const char* label : {"PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"}) {
    CHECK(CheckPemHasCertAndKey(std::string(kCert) + Key(label)).ok());
    CHECK(CheckPemHasCertAndKey(Key(label) + kCert).ok());
  }
}

TEST_CASE("a PEM without a key, without a certificate or with a cut block is refused") {
  Status no_key = CheckPemHasCertAndKey(kCert);
  CHECK(no_key.code() == Code::kInvalidArgument);
  CHECK(no_key.message().find("no private key") != std::string::npos);
  CHECK(CheckPemHasCertAndKey(Key("PRIVATE KEY")).message().find("no certificate") !=
        std::string::npos);
  CHECK_FALSE(
      CheckPemHasCertAndKey("-----BEGIN CERTIFICATE-----\nMIIB\n" + Key("PRIVATE KEY")).ok());
  CHECK_FALSE(CheckPemHasCertAndKey("").ok());
}

TEST_CASE("a passphrase-protected key is refused with the reason") {
  Status s = CheckPemHasCertAndKey(std::string(kCert) + Key("ENCRYPTED PRIVATE KEY"));
  CHECK(s.code() == Code::kInvalidArgument);
  CHECK(s.message().find("passphrase") != std::string::npos);
}

TEST_CASE("the payload drops blank lines and carriage returns and ends every line") {
  CHECK(PemPayload("a\r\n\r\n\nb\n  \n\tc") == "a\nb\n\tc\n");
  CHECK(PemPayload(std::string(kCert) + "\n" + Key("PRIVATE KEY")) ==
        std::string(kCert) + Key("PRIVATE KEY"));
  CHECK(PemPayload("\n\r\n").empty());
}

}  // namespace
}  // namespace shardgate::haproxy
