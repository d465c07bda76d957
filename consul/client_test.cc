// Tests for the Client's KV and txn calls: request formatting, decoding, error mapping.
#include "consul/client.h"

#include <doctest/doctest.h>

#include "tests/fakes/fake_http_transport.h"

namespace shardgate::consul {
namespace {

using testing::FakeHttpTransport;

ClientConfig Config(std::string token = "") {
  ClientConfig config;
  config.token = std::move(token);
  config.request_timeout = std::chrono::milliseconds(3000);
  return config;
}

const char* kEntryBody =
    R"([{"LockIndex":0,"Key":"app/config","Flags":0,"Value":"djI=","CreateIndex":40,"ModifyIndex":57}])";

}  // namespace

TEST_CASE("Get sends the escaped key with the token header and decodes the entry") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::QueryResponse(kEntryBody, 57));
  Client client(fake, Config("s3cr3t"));
  auto got = client.Get("app/config");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->value == "v2");
  CHECK((*got)->modify_index == 57);
  auto request = fake.last_request();
  CHECK(request.method == "GET");
  CHECK(request.path == "/v1/kv/app/config");
  CHECK(FindHeader(request.headers, "x-consul-token") == "s3cr3t");
  CHECK(request.timeout == std::chrono::milliseconds(3000));
}

TEST_CASE("no token means no token header") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::QueryResponse(kEntryBody, 57));
  Client client(fake, Config());
  CHECK(client.Get("app/config").ok());
  CHECK_FALSE(FindHeader(fake.last_request().headers, "X-Consul-Token").has_value());
}

TEST_CASE("a missing key is nullopt with the store's index, not an error") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::QueryResponse("", 97, 404));
  Client client(fake, Config());
  auto got = client.BlockingGet("missing", QueryOptions{});
  REQUIRE(got.ok());
  CHECK_FALSE(got->value.has_value());
  CHECK(got->meta.index == 97);
}

TEST_CASE("a blocking get sends index and wait and allows wait + wait/16 + request timeout") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::QueryResponse(kEntryBody, 58));
  Client client(fake, Config());
  QueryOptions q;
  q.index = 57;
  q.wait = std::chrono::milliseconds(16'000);
  q.stale = true;
  auto got = client.BlockingGet("app/config", q);
  REQUIRE(got.ok());
  CHECK(got->meta.index == 58);
  CHECK(got->meta.known_leader);
  auto request = fake.last_request();
  CHECK(request.path == "/v1/kv/app/config?index=57&wait=16000ms&stale");
  CHECK(request.timeout == std::chrono::milliseconds(16'000 + 1'000 + 3'000));
}

TEST_CASE("a wait above Consul's 10 minute clamp is clamped before sending") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::QueryResponse(kEntryBody, 58));
  Client client(fake, Config());
  QueryOptions q;
  q.index = 1;
  q.wait = std::chrono::hours(1);
  CHECK(client.BlockingGet("app/config", q).ok());
  CHECK(fake.last_request().path == "/v1/kv/app/config?index=1&wait=600000ms");
}

TEST_CASE("a datacenter is added to KV requests") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::QueryResponse(kEntryBody, 58));
  ClientConfig config = Config();
  config.datacenter = "dc2";
  Client client(fake, config);
  CHECK(client.Get("app/config").ok());
  CHECK(fake.last_request().path == "/v1/kv/app/config?dc=dc2");
}

TEST_CASE("a datacenter Consul has no path to is an error naming it, on reads and writes") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(500, "No path to datacenter"));
  fake.Push(FakeHttpTransport::Response(500, "No path to datacenter"));
  ClientConfig config = Config();
  config.datacenter = "dc9";
  Client client(fake, config);
  Status read = client.Get("app/config").status();
  CHECK(read.code() == Code::kUnavailable);
  CHECK(read.message() ==
        R"(consul GET /v1/kv/app/config: Consul has no datacenter "dc9" (No path to datacenter))");
  CHECK(client.Put("app/config", "v").message() ==
        R"(consul PUT /v1/kv/app/config: Consul has no datacenter "dc9" (No path to datacenter))");
}

TEST_CASE("a datacenter without a reachable server is named in the error") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(500, "Remote DC has no server currently reachable"));
  ClientConfig config = Config();
  config.datacenter = "dc2";
  Client client(fake, config);
  CHECK(client.Put("x", "v").message() ==
        "consul PUT /v1/kv/x: Consul cannot reach datacenter \"dc2\" (Remote DC has no server "
        "currently reachable)");
}

TEST_CASE("without a configured datacenter Consul's 500 keeps its own text") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(500, "No path to datacenter"));
  Client client(fake, Config());
  CHECK(client.Put("x", "v").message() == "consul PUT /v1/kv/x: 500 No path to datacenter");
}

TEST_CASE("List recurses and a 404 is an empty list") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::QueryResponse("", 5, 404));
  Client client(fake, Config());
  auto listed = client.List("shardgate/orders/");
  REQUIRE(listed.ok());
  CHECK(listed->empty());
  CHECK(fake.last_request().path == "/v1/kv/shardgate/orders/?recurse");
}

TEST_CASE("Keys passes the separator") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::QueryResponse(R"(["web/bar","web/foo","web/subdir/"])", 9));
  Client client(fake, Config());
  auto keys = client.Keys("web/", "/");
  REQUIRE(keys.ok());
  CHECK(*keys == std::vector<std::string>{"web/bar", "web/foo", "web/subdir/"});
  CHECK(fake.last_request().path == "/v1/kv/web/?keys&separator=%2F");
}

TEST_CASE("Put sends the raw value as the body and flags only when set") {
  FakeHttpTransport fake;
  fake.Route("PUT", "/v1/kv/", FakeHttpTransport::Response(200, "true"));
  Client client(fake, Config());
  CHECK(client.Put("a b", std::string("\0bin", 4)).ok());
  CHECK(fake.last_request().path == "/v1/kv/a%20b");
  CHECK(fake.last_request().body == std::string("\0bin", 4));
  CHECK(client.Put("k", "v", 42).ok());
  CHECK(fake.last_request().path == "/v1/kv/k?flags=42");
}

TEST_CASE("Cas returns Consul's answer and sends the index, 0 meaning create-only") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(200, "true"));
  fake.Push(FakeHttpTransport::Response(200, "false"));
  Client client(fake, Config());
  CHECK(client.Cas("app/leader", "node-a", 0).value());
  CHECK(fake.last_request().path == "/v1/kv/app/leader?cas=0");
  CHECK_FALSE(client.Cas("app/leader", "node-b", 98).value());
  CHECK(fake.last_request().path == "/v1/kv/app/leader?cas=98");
}

TEST_CASE("deletes use DELETE with cas or recurse") {
  FakeHttpTransport fake;
  fake.Route("DELETE", "/v1/kv/", FakeHttpTransport::Response(200, "true"));
  Client client(fake, Config());
  CHECK(client.Delete("a").ok());
  CHECK(fake.last_request().path == "/v1/kv/a");
  CHECK(client.DeleteCas("a", 7).value());
  CHECK(fake.last_request().path == "/v1/kv/a?cas=7");
  CHECK(client.DeleteTree("shardgate/x/").ok());
  CHECK(fake.last_request().method == "DELETE");
  CHECK(fake.last_request().path == "/v1/kv/shardgate/x/?recurse");
}

TEST_CASE("empty keys, keys starting with a slash and an empty tree prefix are refused unsent") {
  FakeHttpTransport fake;
  Client client(fake, Config());
  CHECK(client.Get("").status().code() == Code::kInvalidArgument);
  CHECK(client.Put("/abs", "v").code() == Code::kInvalidArgument);
  CHECK(client.DeleteTree("").code() == Code::kInvalidArgument);
  CHECK(fake.request_count() == 0);
}

TEST_CASE("a txn that applied and one that rolled back are both results") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(
      200,
      R"({"Results":[{"KV":{"LockIndex":0,"Key":"a","Flags":0,"Value":null,"CreateIndex":3,"ModifyIndex":3}}],"Errors":null})"));
  fake.Push(FakeHttpTransport::Response(
      409,
      R"({"Results":null,"Errors":[{"OpIndex":0,"What":"failed to set key \"a\", index is stale"},{"OpIndex":1,"What":"key \"b\" exists"}]})"));
  Client client(fake, Config());
  std::vector<TxnOp> ops{{TxnVerb::kCas, "a", "1", 0, 0, ""},
                         {TxnVerb::kCheckNotExists, "b", "", 0, 0, ""}};
  auto applied = client.Txn(ops);
  REQUIRE(applied.ok());
  CHECK(applied->applied);
  CHECK(fake.last_request().method == "PUT");
  CHECK(fake.last_request().path == "/v1/txn");
  auto rolled_back = client.Txn(ops);
  REQUIRE(rolled_back.ok());
  CHECK_FALSE(rolled_back->applied);
  CHECK(rolled_back->errors.size() == 2);
}

TEST_CASE("more than 128 txn ops, or none, are refused without a request") {
  FakeHttpTransport fake;
  Client client(fake, Config());
  CHECK(client.Txn(std::vector<TxnOp>(129)).status().code() == Code::kInvalidArgument);
  CHECK(client.Txn({}).status().code() == Code::kInvalidArgument);
  CHECK(fake.request_count() == 0);
}

TEST_CASE("HTTP errors map to codes and carry the method, path, status and Consul's text") {
  struct Case {
    int status;
    const char* body;
    Code code;
  };
  for (const Case& c :
       {Case{403, "Permission denied: token lacks permission 'key:write'", Code::kPermissionDenied},
        Case{403, "ACL not found", Code::kPermissionDenied},
        Case{400, "Missing key name", Code::kInvalidArgument},
        Case{413, "Value exceeds 524288 byte limit", Code::kInvalidArgument},
        Case{405, "method POST not allowed", Code::kInvalidArgument},
        Case{500, "No cluster leader", Code::kUnavailable},
        Case{503, "rate limit exceeded, try again later", Code::kUnavailable},
        Case{429, "", Code::kUnavailable},
        Case{404, "Invalid URL path: not a recognized HTTP API endpoint", Code::kNotFound}}) {
    CAPTURE(c.status);
    FakeHttpTransport fake;
    fake.Push(FakeHttpTransport::Response(c.status, c.body));
    Client client(fake, Config("tok"));
    Status status = client.Put("x", "v");
    CHECK(status.code() == c.code);
    std::string expected = "consul PUT /v1/kv/x: " + std::to_string(c.status) + " " +
                           (c.body[0] ? c.body : "(empty body)");
    CHECK(status.message() == expected);
  }
}

TEST_CASE("error messages never contain the token or the query string") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(403, "ACL not found"));
  Client client(fake, Config("s3cr3t-token"));
  Result<bool> written = client.Cas("x", "v", 5);
  REQUIRE_FALSE(written.ok());
  CHECK(written.status().message() == "consul PUT /v1/kv/x: 403 ACL not found");
}

TEST_CASE("transport failures keep their code and name the endpoint") {
  FakeHttpTransport fake;
  fake.PushError(Unavailable("Failed to connect to 127.0.0.1 port 8500: Connection refused"));
  fake.PushError(Timeout("Operation timed out after 3000 milliseconds"));
  Client client(fake, Config());
  Status refused = client.Put("x", "v");
  CHECK(refused.code() == Code::kUnavailable);
  CHECK(refused.message() ==
        "consul PUT /v1/kv/x: Failed to connect to 127.0.0.1 port 8500: Connection refused");
  CHECK(client.Get("x").status().code() == Code::kTimeout);
}

TEST_CASE("bad bodies become protocol errors naming the endpoint, never crashes") {
  std::vector<HttpResponse> bad = {
      FakeHttpTransport::QueryResponse(R"([{"LockIndex":0,"Key":"x","Fl)", 5),
      FakeHttpTransport::QueryResponse(R"([{"Key":"x","ModifyIndex":"five"}])", 5),
      FakeHttpTransport::QueryResponse("<html><h1>502 Bad Gateway</h1></html>", 5),
      FakeHttpTransport::Response(200, kEntryBody),  // no X-Consul-Index
  };
  for (const HttpResponse& response : bad) {
    FakeHttpTransport fake;
    fake.Push(response);
    Client client(fake, Config());
    auto got = client.Get("x");
    REQUIRE_FALSE(got.ok());
    CHECK(got.status().code() == Code::kProtocol);
    CHECK(got.status().message().starts_with("consul GET /v1/kv/x: bad response: "));
  }
}

TEST_CASE("a 404 without Consul's headers (a proxy's page) is an error, not a missing key") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(404, "<html>not found</html>"));
  Client client(fake, Config());
  CHECK(client.Get("x").status().code() == Code::kNotFound);
}

TEST_CASE("a write answered with a non-boolean body is a protocol error") {
  FakeHttpTransport fake;
  fake.Push(FakeHttpTransport::Response(200, "<html>ok</html>"));
  Client client(fake, Config());
  Result<bool> written = client.Cas("x", "v", 0);
  CHECK(written.status().code() == Code::kProtocol);
  CHECK(written.status().message().starts_with("consul PUT /v1/kv/x: bad response"));
}

}  // namespace shardgate::consul
