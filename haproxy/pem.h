// PEM text as HAProxy's `set ssl cert` takes it: what it must contain and its payload form.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace shardgate::haproxy {

// Checks that `pem` holds what a bind's `ssl crt` file needs: at least one certificate and one
// unencrypted private key, each a complete BEGIN/END block. It does not check that the key
// belongs to the certificate: HAProxy does, and refuses the commit with its own message.
// Errors: kInvalidArgument naming what is missing (or the passphrase-protected key).
Status CheckPemHasCertAndKey(std::string_view pem);

// The lines of `pem` as a runtime-API payload: carriage returns and blank lines removed (an
// empty line ends HAProxy's payload early and the rest would run as commands), each line ending
// in "\n". Empty when `pem` has no text.
std::string PemPayload(std::string_view pem);

}  // namespace shardgate::haproxy
