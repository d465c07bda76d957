// Consul conformance suite: the case tables as one test, then blocking queries, ACLs and snapshots.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "tests/harness/consul_dev_process.h"
#include "tests/harness/temp_dir.h"
#include "tests/integration/consul_conformance.h"

namespace shardgate::harness::conformance {
namespace {

TEST_CASE("every conformance case behaves as real Consul does") {
  const std::vector<Case> cases = KvCases();
  const std::vector<Case> more = SessionTxnAgentCases();
  const std::vector<Case> datacenters = DatacenterCases();
  const std::vector<Case> strict = StrictnessCases();
  int n = 0;
  for (const Case& c : cases) RunCase(c, n++);
  for (const Case& c : more) RunCase(c, n++);
  for (const Case& c : datacenters) RunCase(c, n++);
  for (const Case& c : strict) RunCase(c, n++);
}

TEST_CASE("a blocking read stays unanswered until the key changes, then returns the new index") {
  const std::string key = "/v1/kv/conformance-" + std::to_string(getpid()) + "-wake";
  REQUIRE(SendTo("PUT", key, "1").body == "true");
  const uint64_t index = IndexOf(SendTo("GET", key));
  REQUIRE(index > 0);
  std::unique_ptr<PendingGet> blocked = PendingGet::Send(key + "?index=" + std::to_string(index) +
                                                         "&wait=20s");
  REQUIRE(blocked);
  // Given the read is on the wire, then later requests on other connections are answered
  // while it is not: it blocks. (A server that answered at once, with the unchanged index,
  // fails here or on the index check below.)
  for (int i = 0; i < 5; ++i) REQUIRE(SendTo("GET", key).status == 200);
  REQUIRE_FALSE(blocked->Answered());
  const Clock::time_point written_at = Clock::now();
  REQUIRE(SendTo("PUT", key, "2").body == "true");
  Reply woken = blocked->Wait(std::chrono::seconds(10));
  CHECK(Clock::now() - written_at < std::chrono::seconds(5));
  CHECK(woken.status == 200);
  CHECK(IndexOf(woken) > index);
  const Json entries = Json::parse(woken.body, nullptr, false);
  CHECK((entries.is_array() && !entries.empty() &&
         entries[0].value("Value", "") == "Mg=="));  // base64 "2"
}

TEST_CASE(
    "256 concurrent blocking queries do not starve a normal read, and one write wakes them all") {
  const std::string key = "/v1/kv/conformance-" + std::to_string(getpid()) + "-many";
  REQUIRE(SendTo("PUT", key, "1").body == "true");
  const uint64_t index = IndexOf(SendTo("GET", key));
  REQUIRE(index > 0);
  constexpr int kWatchers = 256;
  std::vector<std::unique_ptr<PendingGet>> queries;
  for (int i = 0; i < kWatchers; ++i) {
    queries.push_back(PendingGet::Send(key + "?index=" + std::to_string(index) + "&wait=30s"));
    REQUIRE(queries.back());
  }
  // Every query was connected and written before the probe connects, and the server accepts
  // connections in order: all 256 are in its hands when the probe is answered.
  Reply quick = SendTo("GET", "/v1/kv/conformance-unrelated-probe");
  CHECK(quick.status == 404);
  CHECK(quick.took < std::chrono::milliseconds(1000));
  MESSAGE("normal read answered in " << quick.took.count() << " ms while " << kWatchers
                                     << " queries blocked");
  CHECK(std::none_of(queries.begin(), queries.end(), [](const auto& q) { return q->Answered(); }));
  REQUIRE(SendTo("PUT", key, "2").body == "true");
  const Clock::time_point deadline = Clock::now() + std::chrono::seconds(15);
  int woken = 0;
  for (const auto& q : queries) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                            Clock::now());
    Reply r = q->Wait(std::max(left, std::chrono::milliseconds(0)));
    if (r.status == 200 && IndexOf(r) > index) ++woken;
  }
  CHECK(woken == kWatchers);
}

TEST_CASE("with ACLs on, requests without a valid token are refused with Consul's 403 texts" *
          DevServerOnly() * doctest::description("needs a server of its own with a known token")) {
  Result<std::unique_ptr<TempDir>> dir = TempDir::Create("consul-acl");
  REQUIRE(dir.ok());
  const auto token_file = (*dir)->path() / "token";
  std::ofstream(token_file) << "s3cret-token\n";
  ConsulDevOptions options;
  options.acl_token_file = token_file;
  Result<std::unique_ptr<ConsulDev>> dev = ConsulDev::Start(options);
  REQUIRE_MESSAGE(dev.ok(), dev.status().ToString());
  const int port = (*dev)->port();
  Reply anon = Send("127.0.0.1", port, "", "PUT", "/v1/kv/acl/a", "x");
  CHECK(anon.status == 403);
  CHECK(anon.body.starts_with("Permission denied: anonymous token lacks permission 'key:write'"));
  CHECK(Send("127.0.0.1", port, "", "GET", "/v1/kv/acl/a", "").status == 403);
  Reply wrong = Send("127.0.0.1", port, "wrong", "PUT", "/v1/kv/acl/a", "x");
  CHECK(wrong.status == 403);
  CHECK(wrong.body == "ACL not found");
  CHECK(Send("127.0.0.1", port, "s3cret-token", "PUT", "/v1/kv/acl/a", "x").body == "true");
  CHECK(Send("127.0.0.1", port, "", "GET", "/v1/kv/acl/a?token=s3cret-token", "").status == 200);
  CHECK(Send("127.0.0.1", port, "", "GET", "/v1/kv/acl/a", "",
             {{"Authorization", "Bearer s3cret-token"}})
            .status == 200);
  Reply header = Send("127.0.0.1", port, "", "GET", "/v1/status/leader", "");
  CHECK(header.headers.find("X-Consul-Default-ACL-Policy")->second == "deny");
  CHECK(Send("127.0.0.1", port, "", "GET", "/v1/health/service/web", "").body == "[]");
}

TEST_CASE("a restart with a snapshot keeps KV, and an older snapshot makes the index go back" *
          DevServerOnly() * doctest::description("restarts a server of its own")) {
  Result<std::unique_ptr<TempDir>> dir = TempDir::Create("consul-snap");
  REQUIRE(dir.ok());
  ConsulDevOptions options;
  options.snapshot = (*dir)->path() / "kv.json";
  Result<std::unique_ptr<ConsulDev>> started = ConsulDev::Start(options);
  REQUIRE_MESSAGE(started.ok(), started.status().ToString());
  ConsulDev& dev = **started;
  auto send = [&](const std::string& method, const std::string& path,
                  const std::string& body = "") {
    return Send("127.0.0.1", dev.port(), "", method, path, body);
  };
  REQUIRE(send("PUT", "/v1/kv/snap/a", "kept").body == "true");
  const std::filesystem::path older = (*dir)->path() / "older.json";
  std::filesystem::copy_file(options.snapshot, older);
  REQUIRE(send("PUT", "/v1/kv/snap/b", "later").body == "true");
  uint64_t before = std::stoull(
      send("GET", "/v1/kv/snap/b").headers.find("X-Consul-Index")->second);
  REQUIRE(dev.Restart().ok());
  Reply after = send("GET", "/v1/kv/snap/?recurse");
  CHECK(after.status == 200);
  CHECK(Json::parse(after.body).size() == 2);
  CHECK(std::stoull(send("GET", "/v1/kv/snap/b").headers.find("X-Consul-Index")->second) == before);
  REQUIRE(dev.Stop().ok());
  std::filesystem::copy_file(older, options.snapshot,
                             std::filesystem::copy_options::overwrite_existing);
  REQUIRE(dev.Restart().ok());
  CHECK(send("GET", "/v1/kv/snap/b").status == 404);
  CHECK(std::stoull(send("GET", "/v1/kv/snap/?recurse").headers.find("X-Consul-Index")->second) <
        before);
}

}  // namespace
}  // namespace shardgate::harness::conformance
