// The Consul conformance suite's table framework: cases of HTTP steps and their expectations.
#pragma once

#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace shardgate::harness::conformance {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using Ctx =
    std::map<std::string, std::string>;  // {name} substitutions: {p} case prefix, captured values

// One HTTP answer as the expectations see it; status 0 when no answer arrived.
struct Reply {
  int status = 0;
  httplib::Headers headers;
  std::string body;
  std::chrono::milliseconds took{0};
};

// Returns "" when the reply is as expected, else what is wrong. May capture into the Ctx.
using Expect = std::function<std::string(const Reply&, Ctx&)>;

// One request of a case and what its reply must satisfy.
struct Step {
  std::string method;
  std::string path;  // may hold {name} substitutions
  std::string body;
  std::vector<Expect> expect;
};

// A named sequence of steps sharing one Ctx; its name says the behaviour it checks.
struct Case {
  std::string name;
  std::vector<Step> steps;
};

// The case tables (consul_conformance_cases.cc): KV, then sessions, txn, agent and health.
std::vector<Case> KvCases();
std::vector<Case> SessionTxnAgentCases();
// ?dc: the own datacenter, unknown ones, agent endpoints (consul_conformance_datacenters.cc).
std::vector<Case> DatacenterCases();
// Registration validation, request paths, TTL expiry output, the server's own service
// (consul_conformance_strict_cases.cc).
std::vector<Case> StrictnessCases();

// ---- requests ----

// One request to host:port, with X-Consul-Token when `token` is not empty; a write is sent as
// application/octet-stream. The reply records how long the answer took.
Reply Send(const std::string& host, int port, const std::string& token, const std::string& method,
           const std::string& path, const std::string& body, httplib::Headers headers = {});

// Send() to the suite's target: a shardgate-consul-dev started on first use, or a real Consul
// when CONSUL_HTTP_ADDR is set (token from CONSUL_HTTP_TOKEN); see docs/consul-dev.md.
Reply SendTo(const std::string& method, const std::string& path, const std::string& body = "");

// X-Consul-Index of a reply; 0 when absent (never a valid index).
uint64_t IndexOf(const Reply& r);

// A GET to the target that is fully written before Send() returns and answered later on its
// own connection (Connection: close). The blocking-query tests must know a query has left the
// client before they write the key; httplib's send() cannot tell them that.
class PendingGet {
 public:
  // Connects and writes the whole request; nullptr when either fails.
  static std::unique_ptr<PendingGet> Send(const std::string& path);
  ~PendingGet();
  PendingGet(const PendingGet&) = delete;
  PendingGet& operator=(const PendingGet&) = delete;

  // True once any byte of the answer, or the close, has arrived. Never blocks.
  bool Answered() const;

  // Reads the answer until the server closes the connection; status 0 after `timeout`.
  Reply Wait(std::chrono::milliseconds timeout);

 private:
  explicit PendingGet(int fd);

  int fd_;
  Clock::time_point sent_at_;
};

// ---- running cases ----

// Runs the steps of `c` in order against the target, with {p} a prefix unique to this process
// and `number`, and CHECKs every expectation of every step.
void RunCase(const Case& c, int number);

// Cases that need a server of their own (a known ACL token, restarts) run only against
// shardgate-consul-dev: against a real Consul they are skipped, counted and printed.
doctest::skip DevServerOnly();

// ---- expectations ({name} substitutions in their arguments are expanded) ----

// The status code is `want`.
Expect Status(int want);
// The body is exactly `want`.
Expect Body(std::string want);
// The body starts with `want`.
Expect BodyStarts(std::string want);
// Header `name` is present, with value `want` unless `want` is "*".
Expect Header(std::string name, std::string want = "*");
// Header `name` is absent.
Expect NoHeader(std::string name);
// Consul's query metadata: X-Consul-Index (not 0), X-Consul-KnownLeader, X-Consul-LastContact.
Expect Meta();
// JSON predicate on the parsed body; `what` names it in the failure.
Expect JsonIs(std::function<bool(const Json&, Ctx&)> pred, std::string what);
// The parsed body equals the JSON `literal`.
Expect JsonEq(std::string literal);
// JSON value at a pointer equals a literal.
Expect At(std::string pointer, std::string literal);
// Nothing at the JSON pointer.
Expect Missing(std::string pointer);
// Stores the JSON value at `pointer` (a string unquoted) as {name} for later steps.
Expect Capture(std::string name, std::string pointer);
// Stores the reply's X-Consul-Index as {name} for later steps.
Expect CaptureIndex(std::string name);
// The reply's X-Consul-Index compared with a captured one: op is '>', '=' or '<'.
Expect IndexVs(char op, std::string name);
// The answer took between `min_ms` and `max_ms` milliseconds.
Expect TookBetween(int min_ms, int max_ms);

// ---- table helpers ----

// A txn body of `n` KV set ops on keys `prefix`/0 .. `prefix`/n-1.
std::string Ops(int n, const std::string& prefix);

}  // namespace shardgate::harness::conformance
