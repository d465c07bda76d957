// ControllerHttpServer on a real loopback listener: the health and metrics endpoints, added
// routes, errors (404, 405, 413) as httplib and raw clients see them, binding and stopping.
#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <optional>
#include <string>

#include "controller/http_server.h"
#include "tests/harness/pgwire_client.h"

namespace shardgate::controller {
namespace {

using std::chrono::milliseconds;

// A started server whose readiness the test controls, with an echo route on POST /echo that
// answers with what the handler saw.
struct Fixture {
  std::atomic<bool> ready{false};
  ControllerHttpServer server{[] { return std::string("shardgate_consul_up 1\n"); },
                              [this]() -> std::optional<std::string> {
                                if (ready) return std::nullopt;
                                return std::string("waiting for the first Consul answer");
                              }};

  Fixture() {
    server.Handle("POST", "/echo", [](const HttpRequest& r) {
      const auto type = r.headers.find("x-test-header");
      return HttpResponse{200, "text/plain",
                          r.method + " " + r.path + " " + r.remote_addr + " " +
                              (type == r.headers.end() ? "-" : type->second) + " " +
                              std::to_string(r.body.size())};
    });
    REQUIRE(server.Start("127.0.0.1", 0).ok());
  }
  httplib::Client Client() const {
    httplib::Client client("127.0.0.1", server.port());
    client.set_read_timeout(5);
    return client;
  }
  // Sends raw bytes and returns all the server answers before it closes the connection.
  std::string Raw(const std::string& bytes) const {
    auto connection = harness::PgWireConnection::Connect("127.0.0.1", server.port(),
                                                         milliseconds(2000));
    REQUIRE(connection.ok());
    REQUIRE(connection.value().Send(bytes).ok());
    auto reply = connection.value().ReadUntilClosed(milliseconds(3000));
    REQUIRE_MESSAGE(reply.ok(), reply.status().ToString());
    return reply.value();
  }
};

TEST_CASE("healthz is ok at once, readyz is 503 with the reason until ready") {
  Fixture f;
  httplib::Client client = f.Client();
  auto health = client.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == "ok");
  auto not_ready = client.Get("/readyz");
  REQUIRE(not_ready);
  CHECK(not_ready->status == 503);
  CHECK(not_ready->body == "waiting for the first Consul answer");
  f.ready = true;
  auto ready = client.Get("/readyz");
  REQUIRE(ready);
  CHECK(ready->status == 200);
  CHECK(ready->body == "ready");
}

TEST_CASE("metrics are served as Prometheus text 0.0.4") {
  Fixture f;
  auto r = f.Client().Get("/metrics");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "shardgate_consul_up 1\n");
  CHECK(r->get_header_value("Content-Type") == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("an added route sees method, path, lower-case headers, client address and body") {
  Fixture f;
  auto r = f.Client().Post("/echo", {{"X-Test-Header", "yes"}}, "{\"a\":1}", "application/json");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == "POST /echo 127.0.0.1 yes 7");
}

TEST_CASE("an unknown path is a JSON 404 and a wrong method a 405 with Allow") {
  Fixture f;
  httplib::Client client = f.Client();
  auto missing = client.Get("/nope");
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(missing->get_header_value("Content-Type") == "application/json");
  CHECK(missing->body == R"({"error":{"code":"not_found","message":"no such path: /nope"}})");
  auto wrong = client.Delete("/metrics");
  REQUIRE(wrong);
  CHECK(wrong->status == 405);
  CHECK(wrong->get_header_value("Allow") == "GET, HEAD");
  auto get_echo = client.Get("/echo");
  REQUIRE(get_echo);
  CHECK(get_echo->status == 405);
  CHECK(get_echo->get_header_value("Allow") == "POST");
}

TEST_CASE("a body over 1 MiB is a JSON 413 and a body of exactly 1 MiB is served") {
  Fixture f;
  httplib::Client client = f.Client();
  auto big = client.Post("/echo", std::string(kMaxRequestBodyBytes + 1, 'x'), "text/plain");
  REQUIRE(big);
  CHECK(big->status == 413);
  CHECK(big->body ==
        R"({"error":{"code":"body_too_large","message":"request body over 1048576 bytes"}})");
  auto limit = client.Post("/echo", std::string(kMaxRequestBodyBytes, 'x'), "text/plain");
  REQUIRE(limit);
  CHECK(limit->status == 200);
  CHECK(limit->body == "POST /echo 127.0.0.1 - 1048576");
}

TEST_CASE("a chunked body that grows over 1 MiB is a 413 too") {
  Fixture f;
  const std::string chunk(64 * 1024, 'x');
  std::string request =
      "POST /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 17; ++i) request += "10000\r\n" + chunk + "\r\n";
  request += "0\r\n\r\n";
  const std::string reply = f.Raw(request);
  CHECK(reply.starts_with("HTTP/1.1 413 "));
  CHECK(reply.ends_with(
      R"({"error":{"code":"body_too_large","message":"request body over 1048576 bytes"}})"));
}

TEST_CASE("HEAD of a GET route answers its status and headers without the body") {
  Fixture f;
  const std::string reply = f.Raw("HEAD /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK(reply.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(reply.ends_with("\r\n\r\n"));
}

TEST_CASE("a POST without Content-Length is answered at once with an empty body") {
  Fixture f;
  const std::string reply = f.Raw("POST /echo HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
  CHECK(reply.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(reply.ends_with("POST /echo 127.0.0.1 - 0"));
}

TEST_CASE("a taken port is an unavailable error that names the address") {
  Fixture f;
  ControllerHttpServer second([] { return std::string(); }, [] { return std::nullopt; });
  Status s = second.Start("127.0.0.1", f.server.port());
  CHECK(s.code() == Code::kUnavailable);
  CHECK(s.message() == "http: cannot listen on 127.0.0.1:" + std::to_string(f.server.port()));
}

TEST_CASE("after Stop the port refuses connections, and Stop again is harmless") {
  Fixture f;
  const int port = f.server.port();
  f.server.Stop();
  f.server.Stop();
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1);
  CHECK_FALSE(client.Get("/healthz"));
}

}  // namespace
}  // namespace shardgate::controller
