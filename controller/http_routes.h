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

// Bodies above this are refused with 413 unless the route allows more (Handle's max_body).
inline constexpr size_t kMaxRequestBodyBytes = 1024 * 1024;
// The most any route may allow: a bulk range-map load of 100,000+ rules is several MiB.
inline constexpr size_t kMaxBulkBodyBytes = 64 * 1024 * 1024;

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

// `{"error":{"code":"<code>","message":"<message>","field":"<field>"}}` with `status`, as
// application/json; `field` is left out when empty. Every error the controller's HTTP API answers
// has this shape (docs/admin-api.md).
HttpResponse JsonError(int status, std::string_view code, std::string_view message,
                       std::string_view field = "");
// The 413 JsonError for a body over `limit` bytes.
HttpResponse BodyTooLarge(size_t limit = kMaxRequestBodyBytes);

// Thread-safety: Handle before any Dispatch; Dispatch is const and may run on many threads
// (the handlers then must be safe to call concurrently).
class HttpRoutes {
 public:
  // Routes `method` (upper case) on exactly `path` (no prefixes, no patterns) to `handler`.
  // REQUIRES: each method and path once (a second registration aborts: it is a programming
  // error).
  // A body over `max_body` (<= kMaxBulkBodyBytes) is answered 413 without calling it.
  void Handle(std::string method, std::string path, HttpHandler handler,
              size_t max_body = kMaxRequestBodyBytes);
  // Routes `method` on every path that starts with `prefix` and is longer (e.g.
  // "/api/v1/routing-map/rules/" for ".../rules/<id>"); exact routes win over prefixes.
  void HandlePrefix(std::string method, std::string prefix, HttpHandler handler);

  // The body limit of the route `path` names (kMaxRequestBodyBytes when it names none), so the
  // server can stop reading a body early.
  size_t BodyLimit(std::string_view method, std::string_view path) const;

  // The handler's answer, or: 413 for a body over the route's limit, 404 for an unknown
  // path, 405 with an Allow header for a method the path does not take, 500 when the handler
  // throws. HEAD is answered as GET (the server drops the body). Errors are JsonError.
  HttpResponse Dispatch(const HttpRequest& request) const;

 private:
  struct Route {
    HttpHandler handler;
    size_t max_body = kMaxRequestBodyBytes;
  };
  using Methods = std::map<std::string, Route>;  // method -> route
  const Methods* Find(std::string_view path) const;

  std::map<std::string, Methods, std::less<>> routes_;    // exact path -> methods
  std::map<std::string, Methods, std::less<>> prefixes_;  // path prefix -> methods
};

// GET /metrics: `render_metrics()` as Prometheus text. GET /healthz: 200 "ok" while the process
// runs. GET /readyz: 200 "ready" when `not_ready_reason()` is empty, else 503 with the reason.
void AddHealthRoutes(HttpRoutes& routes, std::function<std::string()> render_metrics,
                     std::function<std::optional<std::string>()> not_ready_reason);

}  // namespace shardgate::controller
