// HttpTransport: the seam through which the Consul client reaches the network (abstract so tests
// can replace it with tests/fakes/fake_http_transport.h).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "common/status.h"

namespace shardgate::consul {

// Orders header names ignoring ASCII case: Consul (Go) canonicalises names such as
// "X-Consul-Knownleader", so lookups must not depend on casing.
struct CaseInsensitiveLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};

using HttpHeaders = std::map<std::string, std::string, CaseInsensitiveLess>;

// Returns the value of header `name` (any casing), or nullopt.
std::optional<std::string> FindHeader(const HttpHeaders& headers, std::string_view name);

struct HttpRequest {
  std::string method = "GET";  // GET, PUT, DELETE
  std::string path;     // absolute path with query string, e.g. "/v1/kv/a?index=3&wait=1000ms"
  HttpHeaders headers;  // extra request headers (the client adds X-Consul-Token here)
  std::string body;
  std::chrono::milliseconds timeout{10'000};  // whole request, connect included
  // When stop is requested the transfer is aborted (within about a second) and Do() returns
  // kUnavailable "... cancelled". A default-constructed token never stops.
  std::stop_token cancel;
};

struct HttpResponse {
  int status = 0;
  HttpHeaders headers;
  std::string body;
};

// Thread-safety: implementations must allow concurrent Do() calls from any thread.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Sends one request and returns whatever HTTP status came back (non-2xx is NOT an error here).
  // Errors: kUnavailable when the peer cannot be reached, the connection broke or the request was
  // cancelled; kTimeout when request.timeout passed. Messages carry the transport's own text.
  // Blocks up to request.timeout.
  virtual Result<HttpResponse> Do(const HttpRequest& request) = 0;
};

}  // namespace shardgate::consul
