// Throwaway CA and server certificates through the openssl command-line tool (see test_certs.h).
#include "tests/harness/test_certs.h"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include "common/file.h"
#include "tests/harness/process.h"
#include "tests/harness/psql_client.h"
#include "tests/harness/socket_wait.h"
#include "tests/harness/temp_dir.h"

namespace shardgate::harness {
namespace {

constexpr auto kOpensslTimeout = std::chrono::seconds(30);
constexpr const char* kValidDays = "2";
// EC P-256: fast to generate, accepted by every TLS 1.2/1.3 client.
const std::vector<std::string> kNewKey = {"-newkey", "ec", "-pkeyopt",
                                          "ec_paramgen_curve:prime256v1", "-nodes"};

// Runs openssl with `args`; a non-zero exit becomes kInternal with the command and its stderr.
Result<std::string> RunOpenssl(std::vector<std::string> args) {
  args.insert(args.begin(), "openssl");
  ASSIGN_OR_RETURN(CommandResult r, RunCommand(args, {}, kOpensslTimeout));
  if (r.exit_code != 0) {
    return Internal(JoinArgv(args) + " exited " + std::to_string(r.exit_code) + ": " + r.err);
  }
  return r.out;
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Status Chmod(const std::filesystem::path& path, mode_t mode) {
  if (chmod(path.c_str(), mode) != 0) {
    return Internal("chmod " + path.string() + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

// "DNS:localhost,IP:127.0.0.1".
std::string SubjectAltName(const std::vector<std::string>& hosts) {
  std::string out;
  for (const std::string& host : hosts) {
    if (!out.empty()) out += ",";
    out += (IsIpAddress(host) ? "IP:" : "DNS:") + host;
  }
  return out;
}

// 16 hex digits, the first 1..7: positive, no leading zero, so OpenSSL prints it back unchanged
// (`x509 -serial` and BN_bn2hex alike).
std::string RandomSerial() {
  static std::mt19937_64 engine{std::random_device{}()};
  static const char* kHex = "0123456789ABCDEF";
  uint64_t bits = engine();
  std::string out(1, kHex[1 + bits % 7]);
  for (int i = 0; i < 15; ++i) out += kHex[(bits >> (4 * i + 3)) & 0xF];
  return out;
}

Status ValidateIssue(const std::string& name, const std::vector<std::string>& hosts) {
  if (hosts.empty()) return InvalidArgument("IssueServerCert: hosts is empty");
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return InvalidArgument("IssueServerCert: not a plain file name: '" + name + "'");
  }
  return Status::Ok();
}

// Concatenates certificate and key into `pem` (0600).
Status WritePem(const IssuedCert& cert) {
  ASSIGN_OR_RETURN(std::string crt, ReadFile(cert.cert));
  ASSIGN_OR_RETURN(std::string key, ReadFile(cert.key));
  RETURN_IF_ERROR(WriteFile(cert.pem, crt + key, 0600));
  return Chmod(cert.pem, 0600);
}

Status CopyOwned(const std::filesystem::path& from, const std::filesystem::path& to, mode_t mode,
                 const std::string& user) {
  ASSIGN_OR_RETURN(std::string bytes, ReadFile(from));
  RETURN_IF_ERROR(WriteFile(to, bytes, mode));
  RETURN_IF_ERROR(Chmod(to, mode));
  return ChownToUser(to, user);
}

}  // namespace

Result<TestCerts> MakeTestCa(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Internal("mkdir " + dir.string() + ": " + ec.message());
  TestCerts ca{dir / "ca.crt", dir / "ca.key", dir};
  RETURN_IF_ERROR(
      RunOpenssl(Concat({"req", "-x509", "-new"},
                        Concat(kNewKey, {"-keyout", ca.ca_key.string(), "-out", ca.ca_cert.string(),
                                         "-days", kValidDays, "-subj", "/CN=shardgate test CA",
                                         "-addext", "basicConstraints=critical,CA:TRUE", "-addext",
                                         "keyUsage=critical,keyCertSign,cRLSign"}))));
  RETURN_IF_ERROR(Chmod(ca.ca_key, 0600));
  RETURN_IF_ERROR(Chmod(ca.ca_cert, 0644));
  return ca;
}

Result<IssuedCert> IssueServerCert(const TestCerts& ca, const std::string& name,
                                   const std::vector<std::string>& hosts) {
  RETURN_IF_ERROR(ValidateIssue(name, hosts));
  IssuedCert out{ca.dir / (name + ".pem"), ca.dir / (name + ".crt"), ca.dir / (name + ".key"), ""};
  std::filesystem::path csr = ca.dir / (name + ".csr");
  std::filesystem::path ext = ca.dir / (name + ".ext");
  RETURN_IF_ERROR(RunOpenssl(
      Concat({"req", "-new"}, Concat(kNewKey, {"-keyout", out.key.string(), "-out", csr.string(),
                                               "-subj", "/CN=" + hosts[0]}))));
  RETURN_IF_ERROR(Chmod(out.key, 0600));
  RETURN_IF_ERROR(WriteFile(ext,
                            "basicConstraints = critical,CA:FALSE\n"
                            "keyUsage = critical,digitalSignature,keyEncipherment\n"
                            "extendedKeyUsage = serverAuth\n"
                            "subjectAltName = " +
                                SubjectAltName(hosts) + "\n",
                            0600));
  RETURN_IF_ERROR(
      RunOpenssl({"x509", "-req", "-in", csr.string(), "-CA", ca.ca_cert.string(), "-CAkey",
                  ca.ca_key.string(), "-set_serial", "0x" + RandomSerial(), "-days", kValidDays,
                  "-extfile", ext.string(), "-out", out.cert.string()}));
  std::error_code ec;
  std::filesystem::remove(csr, ec);
  std::filesystem::remove(ext, ec);
  RETURN_IF_ERROR(Chmod(out.cert, 0644));
  RETURN_IF_ERROR(WritePem(out));
  // "serial=1A2B...\n"
  ASSIGN_OR_RETURN(std::string serial,
                   RunOpenssl({"x509", "-in", out.cert.string(), "-noout", "-serial"}));
  std::string line = FirstLine(serial);
  out.serial = line.substr(line.find('=') + 1);
  return out;
}

Result<IssuedCert> CopyCertForUser(const IssuedCert& cert, const std::filesystem::path& dir,
                                   const std::string& user) {
  RETURN_IF_ERROR(MakeOwnedDir(dir, user));
  IssuedCert out{dir / cert.pem.filename(), dir / cert.cert.filename(), dir / cert.key.filename(),
                 cert.serial};
  RETURN_IF_ERROR(CopyOwned(cert.cert, out.cert, 0644, user));
  RETURN_IF_ERROR(CopyOwned(cert.key, out.key, 0600, user));
  RETURN_IF_ERROR(CopyOwned(cert.pem, out.pem, 0600, user));
  return out;
}

}  // namespace shardgate::harness
