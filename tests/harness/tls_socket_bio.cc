// A socket BIO whose writes use MSG_NOSIGNAL (see tls_socket_bio.h).
#include "tests/harness/tls_socket_bio.h"

#include <sys/socket.h>

#include <cerrno>

namespace shardgate::harness {
namespace {

int SendNoSignal(BIO* bio, const char* data, int size) {
  int fd = -1;
  BIO_get_fd(bio, &fd);
  BIO_clear_retry_flags(bio);
  ssize_t n = send(fd, data, static_cast<size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
    BIO_set_retry_write(bio);
  }
  return static_cast<int>(n);
}

// OpenSSL's socket BIO with its write replaced; made once, never freed (it is shared).
BIO_METHOD* NoSigpipeSocket() {
  static BIO_METHOD* method = [] {
    const BIO_METHOD* base = BIO_s_socket();
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "socket without SIGPIPE");
    if (m == nullptr) return m;
    BIO_meth_set_write(m, SendNoSignal);
    BIO_meth_set_read(m, BIO_meth_get_read(base));
    BIO_meth_set_puts(m, BIO_meth_get_puts(base));
    BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(base));
    BIO_meth_set_create(m, BIO_meth_get_create(base));
    BIO_meth_set_destroy(m, BIO_meth_get_destroy(base));
    return m;
  }();
  return method;
}

}  // namespace

Status AttachSocket(SSL* ssl, int fd) {
  BIO_METHOD* method = NoSigpipeSocket();
  BIO* bio = method == nullptr ? nullptr : BIO_new(method);
  if (bio == nullptr) return Internal("cannot create a socket BIO");
  BIO_set_fd(bio, fd, BIO_NOCLOSE);
  SSL_set_bio(ssl, bio, bio);  // ssl owns the BIO now
  return Status::Ok();
}

}  // namespace shardgate::harness
