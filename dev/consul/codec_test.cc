// Unit tests for snapshots and service definition decoding.
#include <doctest/doctest.h>

#include "dev/consul/agent_decode.h"
#include "dev/consul/snapshot.h"

namespace shardgate::consul::dev {
namespace {

TEST_CASE("a snapshot round-trips entries, tombstones and indexes") {
  KvSnapshot s;
  s.index = 9;
  s.kv_index = 8;
  s.entries["a/\xff"] = KvEntry{"a/\xff", std::string("\0bin", 4), 3, 1, "", 2, 8};
  s.tombstones["gone"] = 7;
  Result<KvSnapshot> back = DecodeSnapshot(EncodeSnapshot(s));
  REQUIRE(back.ok());
  CHECK(back->index == 9);
  CHECK(back->entries.at("a/\xff").value == std::string("\0bin", 4));
  CHECK(back->tombstones.at("gone") == 7);
  CHECK_FALSE(DecodeSnapshot("{}").ok());
}

TEST_CASE("service registration fills Consul's defaults") {
  Result<ServiceDefinition> d = DecodeServiceDefinition(
      R"({"name":"web","Checks":[{"TTL":"10s"},{"ttl":"20s","status":"passing"}]})");
  REQUIRE(d.ok());
  CHECK(d->service.id == "web");
  CHECK(d->service.weight_passing == 1);
  REQUIRE(d->checks.size() == 2);
  CHECK(d->checks[0].id == "service:web:1");
  CHECK(d->checks[1].id == "service:web:2");
  CHECK(d->checks[0].name == "Service 'web' check");
  CHECK(d->checks[0].status == kCritical);
  CHECK(d->checks[1].status == kPassing);
}

TEST_CASE("service registration rejects what Consul rejects") {
  auto message = [](const std::string& body) {
    return DecodeServiceDefinition(body).status().message();
  };
  CHECK(message(R"({"ID":"x"})") == "Missing service name");
  CHECK(message(R"({"Name":"w","Bogus":1})") ==
        "Request decode failed: json: unknown field \"Bogus\"");
  CHECK(message(R"({"Name":"w","Address":"0.0.0.0"})") == "Invalid service address");
  CHECK(message(R"({"Name":"w","Weights":{"Passing":0,"Warning":1}})") ==
        "Invalid Weights: Passing must be greater than 0");
  CHECK(message(R"({"Name":"w","Check":{"TTL":"10s","Interval":"5s"}})") ==
        "Invalid check: Interval and TTL cannot both be specified");
  CHECK(message(R"({"Name":"w","Check":{"TTL":"10s","Status":"meh"}})") ==
        "Status for checks must 'passing', 'warning', 'critical'");
  CHECK(message(R"({"Name":"w","Meta":{"consul-x":"1"}})") ==
        "Invalid Service Meta: Couldn't load metadata pair ('consul-x', '1'): Key prefix "
        "'consul-' is reserved for internal use");
}

TEST_CASE("service meta keys, weights and typeless checks are refused with current texts") {
  auto message = [](const std::string& body) {
    return DecodeServiceDefinition(body).status().message();
  };
  CHECK(message(R"({"Name":"w","Meta":{"a.b":"1"}})") ==
        "Invalid Service Meta: Couldn't load metadata pair ('a.b', '1'): Key contains invalid "
        "characters");
  CHECK(message(R"({"Name":"w","Meta":{"ok_key-1":"v"}})").empty());
  CHECK(message(R"({"Name":"w","Weights":{"Passing":1,"Warning":-1}})") ==
        "Invalid Weights: Warning must be greater or equal than 0");
  CHECK(message(R"({"Name":"w","Weights":{"Passing":65536,"Warning":1}})") ==
        "Invalid Weights: DNS Weight must be between 0 and 65535");
  // Weights are checked before meta.
  CHECK(message(R"({"Name":"w","Weights":{"Passing":0},"Meta":{"a.b":"1"}})") ==
        "Invalid Weights: Passing must be greater than 0");
  CHECK(message(R"({"Name":"w","Check":{"Notes":"no type"}})") ==
        "Invalid check: TTL must be > 0 for TTL checks");
  CHECK(message(R"({"Name":"w","Checks":[{}]})") ==
        "Invalid check: TTL must be > 0 for TTL checks");
  CHECK(message(R"({"Name":"w","Check":{}})").empty());
}

TEST_CASE("check registration checks the name, then the status, then the type") {
  auto message = [](const std::string& body) {
    return DecodeCheckDefinition(body).status().message();
  };
  CHECK(message(R"({"TTL":"10s"})") == "Missing check name");
  CHECK(message(R"({"Name":"c","Status":"meh"})") == "Bad check status");
  CHECK(message(R"({"Name":"c"})") == "Invalid check: TTL must be > 0 for TTL checks");
  Result<Check> c = DecodeCheckDefinition(R"({"Name":"c","TTL":"10s"})");
  REQUIRE(c.ok());
  CHECK(c->id == "c");
  CHECK(c->status == kCritical);
}

}  // namespace
}  // namespace shardgate::consul::dev
