// NodeRecord encoding: round trips over generated records, and strict decoding of bad input.
#include "model/node_record.h"

#include <doctest/doctest.h>

#include <limits>
#include <random>

namespace shardgate::model {
namespace {

using std::chrono::milliseconds;

NodeRecord Replica() {
  NodeRecord r;
  r.cluster = "orders";
  r.shard = "shard_1";
  r.node = "n1";
  r.address = "10.0.0.7";
  r.port = 5432;
  r.role = Role::kReplica;
  r.health = Health::kPassing;
  r.timeline = 3;
  r.weight = 192;
  r.lag_bytes = 4096;
  r.lag = milliseconds(250);
  r.changed_at = WallTime(milliseconds(1700000000123));
  return r;
}

// A random record; names are drawn with '-' in them on purpose.
NodeRecord Generated(std::mt19937_64& rng) {
  const char* names[] = {"a", "a-b", "-", "x--y", "shard-1", "n.1_z", "orders-eu-1", "0"};
  auto pick = [&](auto& arr) { return std::string(arr[rng() % std::size(arr)]); };
  auto in = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const int64_t i64_min = std::numeric_limits<int64_t>::min();
  const int64_t i64_max = std::numeric_limits<int64_t>::max();
  const int64_t wall_max =
      std::chrono::duration_cast<milliseconds>(WallTime::duration::max()).count();
  NodeRecord r;
  r.cluster = pick(names);
  r.shard = pick(names);
  r.node = pick(names);
  r.address = rng() % 2 ? "127.0.0.1" : "db-" + std::to_string(rng() % 100) + ".example";
  r.port = static_cast<int>(in(1, 65535));
  r.role = static_cast<Role>(in(0, 2));
  r.health = static_cast<Health>(in(0, 2));
  r.timeline = rng() % 4 == 0 ? (rng() % 2 ? i64_min : i64_max) : in(i64_min, i64_max);
  r.weight = static_cast<int>(rng() % 4 == 0 ? (rng() % 2) * kMaxWeight : in(0, kMaxWeight));
  r.lag_bytes = rng() % 4 == 0 ? std::numeric_limits<uint64_t>::max() : rng();
  r.lag = milliseconds(in(i64_min, i64_max));
  r.changed_at = WallTime(milliseconds(rng() % 4 == 0 ? -wall_max : in(-wall_max, wall_max)));
  return r;
}

// The error of decoding `fields`; fails the test when it decodes.
std::string DecodeError(const ServiceFields& fields) {
  Result<NodeRecord> decoded = DecodeNodeRecord(fields);
  REQUIRE_FALSE(decoded.ok());
  CHECK(decoded.status().code() == Code::kProtocol);
  return decoded.status().message();
}

TEST_CASE("a record encodes to the ID, tags, meta, weights and status the agent publishes") {
  ServiceFields f = EncodeNodeRecord(Replica());
  CHECK(f.service_id == "orders-shard_1-n1");
  CHECK(CheckId(f.service_id) == "service:orders-shard_1-n1");
  CHECK(f.address == "10.0.0.7");
  CHECK(f.port == 5432);
  CHECK(f.tags == std::vector<std::string>{"shard:shard_1", "role:replica"});
  CHECK(f.meta == std::map<std::string, std::string>{{"cluster", "orders"},
                                                     {"shard", "shard_1"},
                                                     {"node", "n1"},
                                                     {"role", "replica"},
                                                     {"timeline", "3"},
                                                     {"lag_bytes", "4096"},
                                                     {"lag_ms", "250"},
                                                     {"changed_at", "1700000000123"}});
  CHECK(f.weight_passing == 192);
  CHECK(f.weight_warning == 192);
  CHECK(f.check_status == "passing");
}

TEST_CASE("weight 0 is published as Passing 1 (Consul refuses 0) and Warning 0") {
  NodeRecord r = Replica();
  r.weight = 0;
  ServiceFields f = EncodeNodeRecord(r);
  CHECK(f.weight_passing == 1);
  CHECK(f.weight_warning == 0);
  CHECK(DecodeNodeRecord(f).value().weight == 0);
}

TEST_CASE("encode then decode gives back the record, for many generated records") {
  std::mt19937_64 rng(8);
  for (int i = 0; i < 5000; ++i) {
    NodeRecord r = Generated(rng);
    Result<NodeRecord> back = DecodeNodeRecord(EncodeNodeRecord(r));
    REQUIRE_MESSAGE(back.ok(), back.status().ToString());
    CHECK(*back == r);
  }
}

TEST_CASE("the extreme values of every number survive the round trip") {
  NodeRecord r = Replica();
  r.timeline = std::numeric_limits<int64_t>::min();
  r.lag_bytes = std::numeric_limits<uint64_t>::max();
  r.lag = milliseconds(std::numeric_limits<int64_t>::min());
  r.changed_at = WallTime(milliseconds(-1));
  r.weight = kMaxWeight;
  r.port = 65535;
  CHECK(DecodeNodeRecord(EncodeNodeRecord(r)).value() == r);
}

TEST_CASE("names with '-' are taken from the meta, and the ID must be the one they give") {
  NodeRecord r = Replica();
  r.cluster = "orders-eu";
  r.shard = "shard-1";
  r.node = "pg-1a";
  ServiceFields f = EncodeNodeRecord(r);
  CHECK(f.service_id == "orders-eu-shard-1-pg-1a");
  CHECK(DecodeNodeRecord(f).value() == r);
  f.service_id = "orders-eu-shard-1-pg-1b";
  std::string error = DecodeError(f);
  CHECK(error.find("service 'orders-eu-shard-1-pg-1b': ID is not 'orders-eu-shard-1-pg-1a'") == 0);
}

TEST_CASE("each missing meta key is an error naming the key and the service ID") {
  for (const char* key :
       {"cluster", "shard", "node", "role", "timeline", "lag_bytes", "lag_ms", "changed_at"}) {
    ServiceFields f = EncodeNodeRecord(Replica());
    f.meta.erase(key);
    CHECK(DecodeError(f) ==
          "service 'orders-shard_1-n1': meta " + std::string(key) + " is missing");
  }
}

TEST_CASE("malformed numbers are errors naming the meta key and the bad text") {
  struct Case {
    const char* key;
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"timeline", "", "meta timeline '' is not a signed 64-bit integer"},
      {"timeline", "3x", "meta timeline '3x' is not a signed 64-bit integer"},
      {"timeline", "+3", "meta timeline '+3' is not a signed 64-bit integer"},
      {"timeline", " 3", "meta timeline ' 3' is not a signed 64-bit integer"},
      {"timeline", "9223372036854775808", "meta timeline '9223372036854775808' is not a signed"},
      {"lag_bytes", "-1", "meta lag_bytes '-1' is not an unsigned 64-bit integer"},
      {"lag_bytes", "18446744073709551616", "meta lag_bytes '18446744073709551616' is not an"},
      {"lag_ms", "1.5", "meta lag_ms '1.5' is not a signed 64-bit integer"},
      {"changed_at", "9223372036854775807", "changed_at '9223372036854775807' is out of range"},
  };
  for (const Case& c : cases) {
    ServiceFields f = EncodeNodeRecord(Replica());
    f.meta[c.key] = c.value;
    std::string error = DecodeError(f);
    CHECK_MESSAGE(error.find(c.message) != std::string::npos, error);
    CHECK(error.starts_with("service 'orders-shard_1-n1': "));
  }
}

TEST_CASE("bad names and roles in the meta are refused") {
  ServiceFields f = EncodeNodeRecord(Replica());
  f.meta["node"] = "n 1";
  CHECK(DecodeError(f).find("meta node 'n 1' must match [A-Za-z0-9_.-]+") != std::string::npos);
  f = EncodeNodeRecord(Replica());
  f.meta["role"] = "standby";
  f.tags[1] = "role:standby";
  CHECK(DecodeError(f).find("meta role 'standby' is not primary") != std::string::npos);
}

TEST_CASE("tags must be present once each and agree with the meta") {
  ServiceFields f = EncodeNodeRecord(Replica());
  f.tags = {"role:replica"};
  CHECK(DecodeError(f).find("tag shard:<value> is missing") != std::string::npos);
  f.tags = {"shard:shard_1", "role:replica", "role:primary"};
  CHECK(DecodeError(f).find("tag role:<value> appears 2 times") != std::string::npos);
  f.tags = {"shard:shard_2", "role:replica"};
  CHECK(DecodeError(f).find("tag shard:<value> disagrees with meta shard 'shard_1'") !=
        std::string::npos);
  f.tags = {"shard:shard_1", "role:primary"};
  CHECK(DecodeError(f).find("tag role:<value> disagrees") != std::string::npos);
  f.tags = {"shard:shard_1", "role:replica", "team:billing"};  // unknown tags are fine
  CHECK(DecodeNodeRecord(f).ok());
}

TEST_CASE("weights outside 0..256 or not written the agent's way are refused") {
  ServiceFields f = EncodeNodeRecord(Replica());
  f.weight_warning = 257;
  f.weight_passing = 257;
  CHECK(DecodeError(f).find("Weights.Warning 257 is not in 0..256") != std::string::npos);
  f.weight_warning = -1;
  CHECK(DecodeError(f).find("Weights.Warning -1 is not in 0..256") != std::string::npos);
  f.weight_warning = 0;
  f.weight_passing = 0;
  CHECK(DecodeError(f).find("Weights.Passing 0 is not max(Weights.Warning, 1)") !=
        std::string::npos);
  f.weight_warning = 100;
  f.weight_passing = 1;
  CHECK(DecodeError(f).find("Weights.Passing 1") != std::string::npos);
}

TEST_CASE("an empty address, a port out of range or an unknown check status is refused") {
  ServiceFields f = EncodeNodeRecord(Replica());
  f.address = "";
  CHECK(DecodeError(f).find("Address is empty") != std::string::npos);
  f = EncodeNodeRecord(Replica());
  f.port = 0;
  CHECK(DecodeError(f).find("Port 0 is not in 1..65535") != std::string::npos);
  f.port = 65536;
  CHECK(DecodeError(f).find("Port 65536") != std::string::npos);
  f = EncodeNodeRecord(Replica());
  f.check_status = "maintenance";
  CHECK(DecodeError(f).find("check status 'maintenance' is not passing, warning or critical") !=
        std::string::npos);
}

TEST_CASE("an empty instance is refused without a crash") {
  CHECK(DecodeError(ServiceFields{}) == "service '': meta cluster is missing");
}

}  // namespace
}  // namespace shardgate::model
