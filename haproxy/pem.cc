// PEM text as HAProxy's `set ssl cert` takes it: what it must contain and its payload form.
#include "haproxy/pem.h"

#include <array>

namespace shardgate::haproxy {
namespace {

// The private key labels OpenSSL writes: PKCS#8, then the traditional RSA, EC and DSA forms.
constexpr std::array<std::string_view, 4> kKeyLabels = {"PRIVATE KEY", "RSA PRIVATE KEY",
                                                        "EC PRIVATE KEY", "DSA PRIVATE KEY"};

// True when `pem` holds "-----BEGIN <label>-----" followed later by "-----END <label>-----".
bool HasBlock(std::string_view pem, std::string_view label) {
  const std::string begin = "-----BEGIN " + std::string(label) + "-----";
  const std::string end = "-----END " + std::string(label) + "-----";
  size_t at = pem.find(begin);
  return at != std::string_view::npos && pem.find(end, at + begin.size()) != std::string_view::npos;
}

}  // namespace

Status CheckPemHasCertAndKey(std::string_view pem) {
  if (!HasBlock(pem, "CERTIFICATE")) {
    return InvalidArgument("the PEM has no certificate (-----BEGIN CERTIFICATE----- block)");
  }
  for (std::string_view label : kKeyLabels) {
    if (HasBlock(pem, label)) return Status::Ok();
  }
  if (HasBlock(pem, "ENCRYPTED PRIVATE KEY")) {
    return InvalidArgument(
        "the PEM's private key is protected by a passphrase, which HAProxy cannot load at run "
        "time; write it unencrypted (openssl pkey -in key.pem -out plain.pem)");
  }
  return InvalidArgument("the PEM has no private key (-----BEGIN PRIVATE KEY----- block)");
}

std::string PemPayload(std::string_view pem) {
  std::string out;
  while (!pem.empty()) {
    size_t nl = pem.find('\n');
    std::string_view line = pem.substr(0, nl);
    pem = nl == std::string_view::npos ? std::string_view() : pem.substr(nl + 1);
    std::string kept;
    for (char c : line) {
      if (c != '\r') kept.push_back(c);
    }
    if (kept.find_first_not_of(" \t") == std::string::npos) continue;
    out += kept;
    out += '\n';
  }
  return out;
}

}  // namespace shardgate::haproxy
