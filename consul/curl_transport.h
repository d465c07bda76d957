// CurlTransport: the production HttpTransport, built on libcurl easy handles kept in a pool so
// that connections (and TLS sessions) are reused between requests.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "consul/http_transport.h"

namespace shardgate::consul {

struct CurlTransportOptions {
  std::string base_url = "http://127.0.0.1:8500";  // scheme://host:port, no trailing slash
  std::string ca_file;                             // PEM bundle for https; empty = system store
  std::chrono::milliseconds connect_timeout{2'000};
};

// Thread-safety: Do() may be called concurrently from any number of threads; each call borrows
// its own easy handle from the pool (a handle is never used by two threads at once). Instances
// share no state with each other. libcurl's global initialisation happens once per process,
// thread-safely, on first construction.
class CurlTransport final : public HttpTransport {
 public:
  // Errors: kInvalidArgument when base_url is not http:// or https://, or ca_file is unreadable.
  static Result<std::unique_ptr<CurlTransport>> Create(CurlTransportOptions options);
  ~CurlTransport() override;

  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  Result<HttpResponse> Do(const HttpRequest& request) override;

 private:
  explicit CurlTransport(CurlTransportOptions options);
  void* Borrow();             // a CURL*, from the pool or new
  void Return(void* handle);  // back to the pool (bounded) or cleaned up

  const CurlTransportOptions options_;
  std::mutex mu_;
  std::vector<void*> idle_;  // guarded by mu_; CURL* handles not in use
};

}  // namespace shardgate::consul
