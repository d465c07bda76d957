// The route table and the health endpoints, answered without a socket.
#include "controller/http_routes.h"

#include <doctest/doctest.h>

#include <stdexcept>

namespace shardgate::controller {
namespace {

HttpRequest Request(std::string method, std::string path, std::string body = "") {
  HttpRequest r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  return r;
}

HttpRoutes EchoRoutes() {
  HttpRoutes routes;
  routes.Handle("POST", "/v1/rules", [](const HttpRequest& r) {
    return HttpResponse{201, "application/json", r.body};
  });
  routes.Handle("GET", "/v1/rules", [](const HttpRequest&) { return HttpResponse{200, "", "[]"}; });
  return routes;
}

TEST_CASE("a request goes to the handler of its method and exact path") {
  HttpRoutes routes = EchoRoutes();
  HttpResponse r = routes.Dispatch(Request("POST", "/v1/rules", "{\"a\":1}"));
  CHECK(r.status == 201);
  CHECK(r.body == "{\"a\":1}");
  CHECK(routes.Dispatch(Request("GET", "/v1/rules")).body == "[]");
}

TEST_CASE("a prefix route takes every longer path under it; exact routes win") {
  HttpRoutes routes = EchoRoutes();
  routes.HandlePrefix("DELETE", "/v1/rules/", [](const HttpRequest& r) {
    return HttpResponse{200, "", r.path.substr(10)};
  });
  CHECK(routes.Dispatch(Request("DELETE", "/v1/rules/17")).body == "17");
  CHECK(routes.Dispatch(Request("DELETE", "/v1/rules/")).status == 404);
  CHECK(routes.Dispatch(Request("GET", "/v1/rules")).body == "[]");
  HttpResponse wrong = routes.Dispatch(Request("GET", "/v1/rules/17"));
  CHECK(wrong.status == 405);
  CHECK(wrong.headers.at("Allow") == "DELETE");
}

TEST_CASE("a route may take bodies over the default limit, up to its own") {
  HttpRoutes routes;
  routes.Handle(
      "PUT", "/bulk",
      [](const HttpRequest& r) {
        return HttpResponse{200, "", std::to_string(r.body.size())};
      },
      4 * kMaxRequestBodyBytes);
  CHECK(routes.BodyLimit("PUT", "/bulk") == 4 * kMaxRequestBodyBytes);
  CHECK(routes.BodyLimit("GET", "/bulk") == kMaxRequestBodyBytes);
  CHECK(routes.BodyLimit("PUT", "/other") == kMaxRequestBodyBytes);
  CHECK(
      routes.Dispatch(Request("PUT", "/bulk", std::string(2 * kMaxRequestBodyBytes, 'x'))).status ==
      200);
  HttpResponse big = routes.Dispatch(
      Request("PUT", "/bulk", std::string(4 * kMaxRequestBodyBytes + 1, 'x')));
  CHECK(big.status == 413);
  CHECK(big.body ==
        R"({"error":{"code":"body_too_large","message":"request body over 4194304 bytes"}})");
}

TEST_CASE("an unknown path, or a known one with more after it, is a 404 in JSON") {
  HttpRoutes routes = EchoRoutes();
  HttpResponse r = routes.Dispatch(Request("GET", "/v1/rules/7"));
  CHECK(r.status == 404);
  CHECK(r.content_type == "application/json");
  CHECK(r.body == R"({"error":{"code":"not_found","message":"no such path: /v1/rules/7"}})");
}

TEST_CASE("a method the path does not take is a 405 that lists the allowed ones") {
  HttpRoutes routes = EchoRoutes();
  HttpResponse r = routes.Dispatch(Request("DELETE", "/v1/rules"));
  CHECK(r.status == 405);
  CHECK(r.headers.at("Allow") == "GET, HEAD, POST");
  CHECK(
      r.body ==
      R"({"error":{"code":"method_not_allowed","message":"method DELETE not allowed on /v1/rules"}})");
}

TEST_CASE("HEAD is answered by the GET handler") {
  HttpRoutes routes = EchoRoutes();
  CHECK(routes.Dispatch(Request("HEAD", "/v1/rules")).status == 200);
}

TEST_CASE("a body over 1 MiB is a 413 and one of exactly 1 MiB reaches the handler") {
  HttpRoutes routes = EchoRoutes();
  HttpResponse big = routes.Dispatch(
      Request("POST", "/v1/rules", std::string(kMaxRequestBodyBytes + 1, 'x')));
  CHECK(big.status == 413);
  CHECK(big.body ==
        R"({"error":{"code":"body_too_large","message":"request body over 1048576 bytes"}})");
  CHECK(routes.Dispatch(Request("POST", "/v1/rules", std::string(kMaxRequestBodyBytes, 'x')))
            .status == 201);
}

TEST_CASE("a handler that throws answers 500 with the reason") {
  HttpRoutes routes;
  routes.Handle("GET", "/boom",
                [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("bad json"); });
  HttpResponse r = routes.Dispatch(Request("GET", "/boom"));
  CHECK(r.status == 500);
  CHECK(r.body == R"({"error":{"code":"internal","message":"internal error: bad json"}})");
}

TEST_CASE("error messages with quotes, control bytes or broken UTF-8 stay valid JSON") {
  HttpRoutes routes;
  CHECK(routes.Dispatch(Request("GET", "/a\"b\n")).body ==
        R"({"error":{"code":"not_found","message":"no such path: /a\"b\n"}})");
  CHECK(routes.Dispatch(Request("GET", "/\xff")).body ==
        "{\"error\":{\"code\":\"not_found\",\"message\":\"no such path: /\xef\xbf\xbd\"}}");
}

TEST_CASE("healthz says ok, metrics serve the rendered text as Prometheus 0.0.4") {
  HttpRoutes routes;
  AddHealthRoutes(
      routes, [] { return std::string("x_total 1\n"); }, [] { return std::nullopt; });
  HttpResponse health = routes.Dispatch(Request("GET", "/healthz"));
  CHECK(health.status == 200);
  CHECK(health.body == "ok");
  HttpResponse metrics = routes.Dispatch(Request("GET", "/metrics"));
  CHECK(metrics.status == 200);
  CHECK(metrics.body == "x_total 1\n");
  CHECK(metrics.content_type == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("readyz is 503 with the reason until ready, then 200 ready") {
  std::optional<std::string> reason = "no Consul answer yet";
  HttpRoutes routes;
  AddHealthRoutes(
      routes, [] { return std::string(); }, [&reason] { return reason; });
  HttpResponse r = routes.Dispatch(Request("GET", "/readyz"));
  CHECK(r.status == 503);
  CHECK(r.body == "no Consul answer yet");
  reason.reset();
  r = routes.Dispatch(Request("GET", "/readyz"));
  CHECK(r.status == 200);
  CHECK(r.body == "ready");
}

TEST_CASE("the health routes take GET only") {
  HttpRoutes routes;
  AddHealthRoutes(
      routes, [] { return std::string(); }, [] { return std::nullopt; });
  HttpResponse r = routes.Dispatch(Request("POST", "/metrics"));
  CHECK(r.status == 405);
  CHECK(r.headers.at("Allow") == "GET, HEAD");
}

}  // namespace
}  // namespace shardgate::controller
