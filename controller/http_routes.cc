// Route lookup, the JSON error answers and the health endpoints (see http_routes.h).
#include "controller/http_routes.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>

#include <nlohmann/json.hpp>

#include "common/prometheus_text.h"

namespace shardgate::controller {
namespace {

// "GET, HEAD, POST": the methods a path takes, HEAD wherever GET is.
std::string AllowList(const std::map<std::string, HttpHandler>& methods) {
  std::set<std::string> names;
  for (const auto& [method, handler] : methods) names.insert(method);
  if (names.contains("GET")) names.insert("HEAD");
  std::string out;
  for (const std::string& method : names) out += (out.empty() ? "" : ", ") + method;
  return out;
}

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

HttpResponse JsonError(int status, std::string_view message) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  // Paths and methods come from the client: replace bytes that are not UTF-8 rather than throw.
  r.body = nlohmann::json{{"error", message}}.dump(-1, ' ', false,
                                                   nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse BodyTooLarge() {
  return JsonError(413, "request body over " + std::to_string(kMaxRequestBodyBytes) + " bytes");
}

void HttpRoutes::Handle(std::string method, std::string path, HttpHandler handler) {
  auto [it, inserted] = routes_[path].emplace(std::move(method), std::move(handler));
  if (!inserted) {
    std::fprintf(stderr, "HttpRoutes: %s %s registered twice\n", it->first.c_str(), path.c_str());
    std::abort();
  }
}

HttpResponse HttpRoutes::Dispatch(const HttpRequest& request) const {
  if (request.body.size() > kMaxRequestBodyBytes) return BodyTooLarge();
  auto path = routes_.find(request.path);
  if (path == routes_.end()) return JsonError(404, "no such path: " + request.path);
  const std::string method = request.method == "HEAD" ? "GET" : request.method;
  auto handler = path->second.find(method);
  if (handler == path->second.end()) {
    HttpResponse r = JsonError(405, "method " + request.method + " not allowed on " + request.path);
    r.headers["Allow"] = AllowList(path->second);
    return r;
  }
  // A handler that throws (a JSON library error, say) answers 500; the server keeps serving.
  try {
    return handler->second(request);
  } catch (const std::exception& e) {
    return JsonError(500, std::string("internal error: ") + e.what());
  }
}

void AddHealthRoutes(HttpRoutes& routes, std::function<std::string()> render_metrics,
                     std::function<std::optional<std::string>()> not_ready_reason) {
  routes.Handle("GET", "/metrics", [render = std::move(render_metrics)](const HttpRequest&) {
    HttpResponse r = Text(200, render());
    r.content_type = std::string(kPrometheusTextContentType);
    return r;
  });
  routes.Handle("GET", "/healthz", [](const HttpRequest&) { return Text(200, "ok"); });
  routes.Handle("GET", "/readyz", [ready = std::move(not_ready_reason)](const HttpRequest&) {
    std::optional<std::string> reason = ready();
    return reason ? Text(503, *reason) : Text(200, "ready");
  });
}

}  // namespace shardgate::controller
