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
template <class Methods>
std::string AllowList(const Methods& methods) {
  std::set<std::string> names;
  for (const auto& [method, route] : methods) names.insert(method);
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

[[noreturn]] void RegisteredTwice(const std::string& method, const std::string& path) {
  std::fprintf(stderr, "HttpRoutes: %s %s registered twice\n", method.c_str(), path.c_str());
  std::abort();
}

}  // namespace

HttpResponse JsonError(int status, std::string_view code, std::string_view message,
                       std::string_view field) {
  HttpResponse r;
  r.status = status;
  r.content_type = "application/json";
  nlohmann::json error{{"code", code}, {"message", message}};
  if (!field.empty()) error["field"] = field;
  // Paths, fields and methods come from the client: replace bytes that are not UTF-8 rather than
  // throw.
  r.body = nlohmann::json{{"error", std::move(error)}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpResponse BodyTooLarge(size_t limit) {
  return JsonError(413, "body_too_large", "request body over " + std::to_string(limit) + " bytes");
}

void HttpRoutes::Handle(std::string method, std::string path, HttpHandler handler,
                        size_t max_body) {
  if (max_body > kMaxBulkBodyBytes) max_body = kMaxBulkBodyBytes;
  auto [it, inserted] = routes_[path].emplace(method, Route{std::move(handler), max_body});
  if (!inserted) RegisteredTwice(method, path);
}

void HttpRoutes::HandlePrefix(std::string method, std::string prefix, HttpHandler handler) {
  auto [it, inserted] = prefixes_[prefix].emplace(method, Route{std::move(handler)});
  if (!inserted) RegisteredTwice(method, prefix);
}

const HttpRoutes::Methods* HttpRoutes::Find(std::string_view path) const {
  if (auto exact = routes_.find(path); exact != routes_.end()) return &exact->second;
  for (const auto& [prefix, methods] : prefixes_) {
    if (path.size() > prefix.size() && path.starts_with(prefix)) return &methods;
  }
  return nullptr;
}

size_t HttpRoutes::BodyLimit(std::string_view method, std::string_view path) const {
  const Methods* methods = Find(path);
  if (methods == nullptr) return kMaxRequestBodyBytes;
  auto route = methods->find(std::string(method));
  return route == methods->end() ? kMaxRequestBodyBytes : route->second.max_body;
}

HttpResponse HttpRoutes::Dispatch(const HttpRequest& request) const {
  const Methods* methods = Find(request.path);
  if (methods == nullptr) {
    if (request.body.size() > kMaxRequestBodyBytes) return BodyTooLarge();
    return JsonError(404, "not_found", "no such path: " + request.path);
  }
  const std::string method = request.method == "HEAD" ? "GET" : request.method;
  auto route = methods->find(method);
  if (route == methods->end()) {
    if (request.body.size() > kMaxRequestBodyBytes) return BodyTooLarge();
    HttpResponse r = JsonError(405, "method_not_allowed",
                               "method " + request.method + " not allowed on " + request.path);
    r.headers["Allow"] = AllowList(*methods);
    return r;
  }
  if (request.body.size() > route->second.max_body) return BodyTooLarge(route->second.max_body);
  // A handler that throws (a JSON library error, say) answers 500; the server keeps serving.
  try {
    return route->second.handler(request);
  } catch (const std::exception& e) {
    return JsonError(500, "internal", std::string("internal error: ") + e.what());
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
