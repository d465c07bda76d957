// Throwaway X.509 material for tests and the dev stack: a CA and server certificates issued by
// it, made with the `openssl` command-line tool.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/status.h"

namespace shardgate::harness {

// A CA that lives two days, for one test run.
struct TestCerts {
  std::filesystem::path ca_cert;  // CA certificate (PEM) that clients trust
  std::filesystem::path ca_key;   // its private key (0600)
  std::filesystem::path dir;      // where issued certificates are written
};

// A server certificate signed by a TestCerts CA.
struct IssuedCert {
  std::filesystem::path pem;   // certificate + private key in one file (HAProxy `crt`), 0600
  std::filesystem::path cert;  // certificate alone (PEM, 0644), PostgreSQL's ssl_cert_file
  std::filesystem::path key;   // private key alone (PEM, 0600), PostgreSQL's ssl_key_file
  std::string serial;          // hex, upper case, as `openssl x509 -serial` prints it
};

// Creates `dir` (if needed) and in it ca.crt and ca.key: an EC P-256 CA valid for two days.
// Errors: kInternal naming the openssl command and its stderr; file errors naming the path.
Result<TestCerts> MakeTestCa(const std::filesystem::path& dir);

// Issues <ca.dir>/<name>.{crt,key,pem} for `hosts`: each entry is a DNS name or an IP address
// (subjectAltName DNS:... / IP:...), CN = hosts[0]. Every call gets a distinct random serial,
// so a renewed certificate can be told from the old one. Overwrites earlier files of that name.
// Errors: kInvalidArgument when hosts is empty or name is not a plain file name; else as
// MakeTestCa.
Result<IssuedCert> IssueServerCert(const TestCerts& ca, const std::string& name,
                                   const std::vector<std::string>& hosts);

// Copies `cert`'s certificate, key and PEM into `dir` (created if needed, mode 0700) and gives
// the directory and the copies to the system user `user`, as PostgreSQL needs when it runs as
// that user: it refuses a key that is not its own or that others may read. The key and PEM stay
// 0600. Returns the copies (same serial). Errors: kNotFound for an unknown user; file and chown
// errors name the path.
Result<IssuedCert> CopyCertForUser(const IssuedCert& cert, const std::filesystem::path& dir,
                                   const std::string& user);

}  // namespace shardgate::harness
