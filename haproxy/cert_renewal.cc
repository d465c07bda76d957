// Renewal of a bind's TLS certificate without a reload: HAProxy's runtime API, then the file.
#include "haproxy/cert_renewal.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/file.h"
#include "haproxy/pem.h"

namespace shardgate::haproxy {
namespace {

// A key file is private: a file that does not exist yet is created readable by its owner only.
constexpr mode_t kNewFileMode = 0600;

// Writes `content` over `path` atomically with the mode and owner the old file had, since
// HAProxy (or the group it runs as) must still be able to read it at the next start.
Status ReplaceFileKeepingOwner(const std::filesystem::path& path, std::string_view content) {
  struct stat old {};
  bool existed = ::stat(path.c_str(), &old) == 0;
  mode_t mode = existed ? (old.st_mode & 07777) : kNewFileMode;
  RETURN_IF_ERROR(WriteFileAtomically(path, content, mode));
  // The umask may have narrowed the mode: give the file exactly its old one.
  if (::chmod(path.c_str(), mode) != 0) {
    return Internal("cannot chmod " + path.string() + ": " + std::strerror(errno));
  }
  struct stat now {};
  if (existed && ::stat(path.c_str(), &now) == 0 &&
      (now.st_uid != old.st_uid || now.st_gid != old.st_gid) &&
      ::chown(path.c_str(), old.st_uid, old.st_gid) != 0) {
    return PermissionDenied("cannot give " + path.string() + " its previous owner " +
                            std::to_string(old.st_uid) + ":" + std::to_string(old.st_gid) + ": " +
                            std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

Status RenewCertificate(RuntimeClient& client, const std::filesystem::path& cert_path,
                        std::string_view pem) {
  RETURN_IF_ERROR(Annotate(CheckPemHasCertAndKey(pem), "new certificate"));
  RETURN_IF_ERROR(client.ReplaceSslCert(cert_path.string(), pem));
  return Annotate(ReplaceFileKeepingOwner(cert_path, pem),
                  "HAProxy serves the new certificate, but " + cert_path.string() +
                      " still holds the old one (a restart would load it); run again");
}

}  // namespace shardgate::haproxy
