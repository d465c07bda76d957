// Renewal of a bind's TLS certificate without a reload: HAProxy's runtime API, then the file.
#pragma once

#include <filesystem>
#include <string_view>

#include "common/status.h"
#include "haproxy/runtime_client.h"

namespace shardgate::haproxy {

// Makes HAProxy serve `pem` (certificate, chain, private key) for the bind file `cert_path`, for
// every new handshake, without a reload; established connections keep their certificate. Then
// writes `pem` over `cert_path` (atomically, keeping the file's mode and owner), so that a
// restart loads the same certificate.
//
// The order is deliberate: HAProxy first. HAProxy checks the PEM (the key must match the
// certificate); when it refuses, the file still holds the old certificate, which it serves and
// would load on restart. Writing the file first would leave a PEM HAProxy refuses on disk, and
// the next restart would fail to load the bind. The one gap: HAProxy accepted and the write
// failed; the error says so, and running again with the same PEM is safe (it is idempotent).
//
// Errors: kInvalidArgument (the PEM lacks a certificate or an unencrypted key, checked before
// anything is sent; or HAProxy refused it: its message), the client's errors (see
// RuntimeClient::ReplaceSslCert), or the file's, annotated to say HAProxy already serves it.
Status RenewCertificate(RuntimeClient& client, const std::filesystem::path& cert_path,
                        std::string_view pem);

}  // namespace shardgate::haproxy
