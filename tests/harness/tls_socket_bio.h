// OpenSSL over a socket without SIGPIPE: writes to a peer that is gone fail with EPIPE instead
// of killing the process, without changing the process's signal disposition.
#pragma once

#include <openssl/ssl.h>

#include "common/status.h"

namespace shardgate::harness {

// Makes `ssl` read and write `fd` (not owned: the caller closes it) through a socket BIO that
// sends with MSG_NOSIGNAL, as libpq does. Errors: kInternal from OpenSSL.
Status AttachSocket(SSL* ssl, int fd);

}  // namespace shardgate::harness
