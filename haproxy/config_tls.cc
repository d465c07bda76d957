// Validation of the TLS options (TlsSpec) and the names of the hand-off sockets.
#include <filesystem>
#include <string>

#include "haproxy/config.h"
#include "haproxy/config_internal.h"

namespace shardgate::haproxy {
namespace {

// sun_path is 108 bytes with its terminating NUL; HAProxy also binds "<path>.<pid>.tmp" first
// and renames it, so leave room for that suffix.
constexpr size_t kMaxSocketPath = 108 - 1 - 16;

std::string SocketDir(const ConfigSpec& spec) {
  if (!spec.tls.socket_dir.empty()) return spec.tls.socket_dir;
  return std::filesystem::path(spec.socket_path).parent_path().string();
}

Status ValidateClientCertificates(const TlsSpec& tls) {
  if (tls.verify != "none" && tls.verify != "optional" && tls.verify != "required") {
    return InvalidArgument("tls.verify '" + tls.verify + "' must be none, optional or required");
  }
  if (tls.ca_file.empty()) {
    if (tls.verify == "none") return Status::Ok();
    return InvalidArgument("tls.verify " + tls.verify +
                           " needs tls.ca_file (the CA client certificates are checked against)");
  }
  RETURN_IF_ERROR(CheckAbsolutePath("tls.ca_file", tls.ca_file));
  if (tls.verify == "none") {
    return InvalidArgument(
        "tls.ca_file is set but tls.verify is none: set verify to optional or required, or drop "
        "ca_file");
  }
  return Status::Ok();
}

}  // namespace

std::string TlsHandoffSocket(const ConfigSpec& spec, int port, bool direct) {
  return SocketDir(spec) + "/shardgate-" + std::to_string(port) +
         (direct ? "-tls-direct.sock" : "-tls.sock");
}

Status ValidateTlsSpec(const ConfigSpec& spec) {
  const TlsSpec& tls = spec.tls;
  if (!tls.enabled()) {
    if (tls.require_rw || tls.require_ro) {
      return InvalidArgument("tls.require_rw/require_ro need tls.cert_path (TLS is off)");
    }
    return Status::Ok();
  }
  RETURN_IF_ERROR(CheckAbsolutePath("tls.cert_path", tls.cert_path));
  RETURN_IF_ERROR(ValidateClientCertificates(tls));
  if (tls.min_version != "TLSv1.2" && tls.min_version != "TLSv1.3") {
    return InvalidArgument("tls.min_version '" + tls.min_version + "' must be TLSv1.2 or TLSv1.3");
  }
  if (!tls.ciphers.empty() && !IsPlainWord(tls.ciphers)) {
    return InvalidArgument("tls.ciphers must be one OpenSSL cipher list without blanks or quotes");
  }
  if (!tls.ciphersuites.empty() && !IsPlainWord(tls.ciphersuites)) {
    return InvalidArgument("tls.ciphersuites must be one OpenSSL list without blanks or quotes");
  }
  if (!tls.socket_dir.empty()) RETURN_IF_ERROR(CheckAbsolutePath("tls.socket_dir", tls.socket_dir));
  for (int port : {spec.rw_port, spec.ro_port}) {
    std::string path = TlsHandoffSocket(spec, port, /*direct=*/true);
    if (path.size() > kMaxSocketPath) {
      return InvalidArgument("TLS hand-off socket '" + path + "' is longer than " +
                             std::to_string(kMaxSocketPath) +
                             " bytes (a Unix socket path limit): set a shorter tls.socket_dir");
    }
  }
  return Status::Ok();
}

}  // namespace shardgate::haproxy
