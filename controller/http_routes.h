// The controller's HTTP routes as plain values: requests, responses, the route table that
// answers 404/405/413, and the health and metrics endpoints. No sockets (see http_server.h).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace shardgate::controller {

// Bodies above this are refused with 413 (admin API documents are far smaller).
inline constexpr size_t kMaxRequestBodyBytes = 1024 * 1024;

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::map<std::string, std::string> headers;  // extra headers, e.g. Allow
};

struct HttpRequest {
  std::string method, path, body;
  std::map<std::string, std::string> headers;  // lower-case names; repeated headers joined ", "
  std::string remote_addr;
  std::map<std::string, std::string> query;  // decoded query parameters (the last of repeats)
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// `{"error":"<message>"}` with `status`, as application/json.
HttpResponse JsonError(int status, std::string_view message);
// The 413 JsonError for a body over kMaxRequestBodyBytes.
HttpResponse BodyTooLarge();

// Thread-safety: Handle before any Dispatch; Dispatch is const and may run on many threads
// (the handlers then must be safe to call concurrently).
class HttpRoutes {
 public:
  // Routes `method` (upper case) on exactly `path` (no prefixes, no patterns) to `handler`.
  // REQUIRES: each method and path once (a second registration aborts: it is a programming
  // error).
  void Handle(std::string method, std::string path, HttpHandler handler);

  // The handler's answer, or: 413 for a body over kMaxRequestBodyBytes, 404 for an unknown
  // path, 405 with an Allow header for a method the path does not take, 500 when the handler
  // throws. HEAD is answered as GET (the server drops the body). Errors are JsonError.
  HttpResponse Dispatch(const HttpRequest& request) const;

 private:
  std::map<std::string, std::map<std::string, HttpHandler>> routes_;  // path -> method -> handler
};

// GET /metrics: `render_metrics()` as Prometheus text. GET /healthz: 200 "ok" while the process
// runs. GET /readyz: 200 "ready" when `not_ready_reason()` is empty, else 503 with the reason.
void AddHealthRoutes(HttpRoutes& routes, std::function<std::string()> render_metrics,
                     std::function<std::optional<std::string>()> not_ready_reason);

}  // namespace shardgate::controller
