// Consul conformance suite: the behaviours shardgate relies on,
// as a table of cases. Runs against shardgate-consul-dev, or against a real Consul when
// CONSUL_HTTP_ADDR is set (token from CONSUL_HTTP_TOKEN); see docs/consul-dev.md.
#include <doctest/doctest.h>
#include <httplib.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/harness/consul_dev_process.h"
#include "tests/harness/temp_dir.h"

namespace shardgate::harness {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using Ctx =
    std::map<std::string, std::string>;  // {name} substitutions: {p} case prefix, captured values

struct Reply {
  int status = 0;
  httplib::Headers headers;
  std::string body;
  std::chrono::milliseconds took{0};
};

// Returns "" when the reply is as expected, else what is wrong. May capture into the Ctx.
using Expect = std::function<std::string(const Reply&, Ctx&)>;

struct Step {
  std::string method;
  std::string path;  // may hold {name} substitutions
  std::string body;
  std::vector<Expect> expect;
};

struct Case {
  std::string name;
  std::vector<Step> steps;
};

// ---- where the suite runs ----

struct Target {
  std::string host;
  int port = 0;
  std::string token;
  std::unique_ptr<ConsulDev> dev;
};

// CONSUL_HTTP_ADDR names a real Consul to run against; nullptr runs a shardgate-consul-dev.
const char* RealConsulAddress() {
  const char* addr = std::getenv("CONSUL_HTTP_ADDR");
  return addr != nullptr && *addr != '\0' ? addr : nullptr;
}

Target& GetTarget() {
  static Target target = [] {
    Target t;
    if (const char* addr = RealConsulAddress()) {
      std::string a = addr;
      if (a.starts_with("http://")) a = a.substr(7);
      t.host = a.substr(0, a.rfind(':'));
      t.port = std::atoi(a.substr(a.rfind(':') + 1).c_str());
      if (const char* tok = std::getenv("CONSUL_HTTP_TOKEN")) t.token = tok;
      return t;
    }
    Result<std::unique_ptr<ConsulDev>> dev = ConsulDev::Start({});
    REQUIRE_MESSAGE(dev.ok(), dev.status().ToString());
    t.host = "127.0.0.1";
    t.port = (*dev)->port();
    t.dev = std::move(*dev);
    return t;
  }();
  return target;
}

// Prints each case skipped by its decorator as "SKIPPED: <case>: <why>" (the why is the case's
// description), so that a skip is seen in the log and not only counted in doctest's summary.
class SkippedCaseListener : public doctest::IReporter {
 public:
  explicit SkippedCaseListener(const doctest::ContextOptions& options) : options_(options) {}
  void test_case_skipped(const doctest::TestCaseData& tc) override {
    if (!tc.m_skip || options_.no_skip) return;  // left out by a command-line filter instead
    *options_.cout << "SKIPPED: " << tc.m_name << ": "
                   << (tc.m_description != nullptr ? tc.m_description : "no reason given") << "\n";
  }
  // The rest of the reporter interface: nothing to report.
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override {}
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}

 private:
  const doctest::ContextOptions& options_;
};
REGISTER_LISTENER("skipped_cases", 1, SkippedCaseListener);

// Cases that need a server of their own (a known ACL token, restarts) run only against
// shardgate-consul-dev: against a real Consul they are skipped, counted and printed.
doctest::skip DevServerOnly() { return doctest::skip(RealConsulAddress() != nullptr); }

std::string Expand(std::string text, const Ctx& ctx) {
  for (const auto& [k, v] : ctx) {
    const std::string needle = "{" + k + "}";
    for (size_t at = text.find(needle); at != std::string::npos;
         at = text.find(needle, at + v.size())) {
      text.replace(at, needle.size(), v);
    }
  }
  return text;
}

Reply Send(const std::string& host, int port, const std::string& token, const std::string& method,
           const std::string& path, const std::string& body, httplib::Headers headers = {}) {
  httplib::Client client(host, port);
  client.set_read_timeout(std::chrono::seconds(30));
  if (!token.empty()) headers.emplace("X-Consul-Token", token);
  httplib::Request req;
  req.method = method;
  req.path = path;
  req.headers = headers;
  req.body = body;
  if (method == "PUT" || method == "POST" || method == "DELETE") {
    req.set_header("Content-Type", "application/octet-stream");
  }
  auto start = Clock::now();
  httplib::Response res;
  httplib::Error err = httplib::Error::Success;
  Reply r;
  if (!client.send(req, res, err)) return r;
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  r.status = res.status;
  r.headers = res.headers;
  r.body = res.body;
  return r;
}

Reply SendTo(const std::string& method, const std::string& path, const std::string& body = "") {
  Target& t = GetTarget();
  return Send(t.host, t.port, t.token, method, path, body);
}

// X-Consul-Index of a reply; 0 when absent (never a valid index).
uint64_t IndexOf(const Reply& r) {
  auto it = r.headers.find("X-Consul-Index");
  return it == r.headers.end() ? 0 : std::stoull(it->second);
}

// An HTTP/1.x answer read up to the close of its connection: status line, headers, body.
Reply ParseRawReply(const std::string& raw, Clock::duration took) {
  Reply r;
  const size_t head_end = raw.find("\r\n\r\n");
  if (!raw.starts_with("HTTP/1.") || head_end == std::string::npos) return r;
  r.status = std::atoi(raw.c_str() + raw.find(' ') + 1);
  for (size_t at = raw.find("\r\n") + 2; at < head_end;) {
    const size_t eol = raw.find("\r\n", at);
    const std::string line = raw.substr(at, eol - at);
    if (size_t colon = line.find(':'); colon != std::string::npos) {
      const size_t value = line.find_first_not_of(' ', colon + 1);
      r.headers.emplace(line.substr(0, colon),
                        value == std::string::npos ? "" : line.substr(value));
    }
    at = eol + 2;
  }
  r.body = raw.substr(head_end + 4);
  r.took = std::chrono::duration_cast<std::chrono::milliseconds>(took);
  return r;
}

// A GET to the target that is fully written before Send() returns and answered later on its
// own connection (Connection: close). The blocking-query tests must know a query has left the
// client before they write the key; httplib's send() cannot tell them that.
class PendingGet {
 public:
  // Connects and writes the whole request; nullptr when either fails.
  static std::unique_ptr<PendingGet> Send(const std::string& path) {
    const Target& t = GetTarget();
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(t.host.c_str(), std::to_string(t.port).c_str(), &hints, &found) != 0)
      return nullptr;
    std::unique_ptr<PendingGet> pending(
        new PendingGet(::socket(found->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0)));
    const bool connected = pending->fd_ >= 0 &&
                           ::connect(pending->fd_, found->ai_addr, found->ai_addrlen) == 0;
    freeaddrinfo(found);
    if (!connected) return nullptr;
    std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + t.host +
                          "\r\nConnection: close\r\n";
    if (!t.token.empty()) request += "X-Consul-Token: " + t.token + "\r\n";
    request += "\r\n";
    for (size_t sent = 0; sent < request.size();) {
      const ssize_t n = ::send(pending->fd_, request.data() + sent, request.size() - sent,
                               MSG_NOSIGNAL);
      if (n <= 0) return nullptr;
      sent += static_cast<size_t>(n);
    }
    return pending;
  }
  ~PendingGet() {
    if (fd_ >= 0) ::close(fd_);
  }
  PendingGet(const PendingGet&) = delete;
  PendingGet& operator=(const PendingGet&) = delete;

  // True once any byte of the answer, or the close, has arrived. Never blocks.
  bool Answered() const {
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

  // Reads the answer until the server closes the connection; status 0 after `timeout`.
  Reply Wait(std::chrono::milliseconds timeout) {
    const Clock::time_point deadline = Clock::now() + timeout;
    std::string raw;
    char buf[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                              Clock::now());
      pollfd p{fd_, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0) return {};
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n < 0) return {};
      if (n == 0) return ParseRawReply(raw, Clock::now() - sent_at_);
      raw.append(buf, static_cast<size_t>(n));
    }
  }

 private:
  explicit PendingGet(int fd) : fd_(fd), sent_at_(Clock::now()) {}

  int fd_;
  Clock::time_point sent_at_;
};

void RunCase(const Case& c, int number) {
  Ctx ctx{{"p", "conformance-" + std::to_string(getpid()) + "-" + std::to_string(number)}};
  for (size_t i = 0; i < c.steps.size(); ++i) {
    const Step& s = c.steps[i];
    Reply r = SendTo(s.method, Expand(s.path, ctx), Expand(s.body, ctx));
    for (const Expect& e : s.expect) {
      std::string why = e(r, ctx);
      CHECK_MESSAGE(why.empty(), c.name, " (step ", i + 1, ": ", s.method, " ", Expand(s.path, ctx),
                    "): ", why, "; got ", r.status, " ", r.body.substr(0, 300));
    }
  }
}

// ---- expectations ----

Expect Status(int want) {
  return [want](const Reply& r, Ctx&) {
    return r.status == want ? ""
                            : "status " + std::to_string(r.status) + " != " + std::to_string(want);
  };
}
Expect Body(std::string want) {
  return [want](const Reply& r, Ctx& ctx) {
    return r.body == Expand(want, ctx) ? "" : "body is not \"" + Expand(want, ctx) + "\"";
  };
}
Expect BodyStarts(std::string want) {
  return [want](const Reply& r, Ctx& ctx) {
    return r.body.starts_with(Expand(want, ctx))
               ? ""
               : "body does not start with \"" + Expand(want, ctx) + "\"";
  };
}
Expect Header(std::string name, std::string want = "*") {
  return [name, want](const Reply& r, Ctx&) -> std::string {
    auto it = r.headers.find(name);
    if (it == r.headers.end()) return "header " + name + " missing";
    if (want != "*" && it->second != want)
      return "header " + name + " is " + it->second + ", not " + want;
    return "";
  };
}
Expect NoHeader(std::string name) {
  return [name](const Reply& r, Ctx&) {
    return r.headers.count(name) ? "header " + name + " present" : "";
  };
}
Expect Meta() {
  return [](const Reply& r, Ctx& ctx) -> std::string {
    for (const char* h : {"X-Consul-Index", "X-Consul-KnownLeader", "X-Consul-LastContact"}) {
      if (std::string why = Header(h)(r, ctx); !why.empty()) return why;
    }
    if (r.headers.find("X-Consul-Index")->second == "0") return "X-Consul-Index is 0";
    return "";
  };
}
// JSON predicate on the parsed body.
Expect JsonIs(std::function<bool(const Json&, Ctx&)> pred, std::string what) {
  return [pred, what](const Reply& r, Ctx& ctx) -> std::string {
    Json j = Json::parse(r.body, nullptr, false);
    if (j.is_discarded()) return "body is not JSON";
    return pred(j, ctx) ? "" : "JSON: " + what;
  };
}
Expect JsonEq(std::string literal) {
  return JsonIs([literal](const Json& j,
                          Ctx& ctx) { return j == Json::parse(Expand(literal, ctx)); },
                "equals " + literal);
}
// JSON value at a pointer equals a literal ({name} substitutions expanded).
Expect At(std::string pointer, std::string literal) {
  return JsonIs(
      [pointer, literal](const Json& j, Ctx& ctx) {
        Json::json_pointer p(Expand(pointer, ctx));
        return j.contains(p) && j.at(p) == Json::parse(Expand(literal, ctx));
      },
      pointer + " == " + literal);
}
Expect Missing(std::string pointer) {
  return JsonIs(
      [pointer](const Json& j, Ctx& ctx) {
        return !j.contains(Json::json_pointer(Expand(pointer, ctx)));
      },
      pointer + " absent");
}
Expect Capture(std::string name, std::string pointer) {
  return [name, pointer](const Reply& r, Ctx& ctx) -> std::string {
    Json j = Json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.contains(Json::json_pointer(pointer)))
      return "nothing at " + pointer;
    const Json& v = j.at(Json::json_pointer(pointer));
    ctx[name] = v.is_string() ? v.get<std::string>() : v.dump();
    return "";
  };
}
Expect CaptureIndex(std::string name) {
  return [name](const Reply& r, Ctx& ctx) -> std::string {
    auto it = r.headers.find("X-Consul-Index");
    if (it == r.headers.end()) return "no X-Consul-Index";
    ctx[name] = it->second;
    return "";
  };
}
// The reply's X-Consul-Index compared with a captured one: op is '>', '=' or '<'.
Expect IndexVs(char op, std::string name) {
  return [op, name](const Reply& r, Ctx& ctx) -> std::string {
    auto it = r.headers.find("X-Consul-Index");
    if (it == r.headers.end()) return "no X-Consul-Index";
    uint64_t got = std::stoull(it->second);
    uint64_t ref = std::stoull(ctx[name]);
    bool ok = op == '>' ? got > ref : (op == '<' ? got < ref : got == ref);
    return ok ? "" : "index " + it->second + " not " + op + " " + ctx[name];
  };
}
Expect TookBetween(int min_ms, int max_ms) {
  return [min_ms, max_ms](const Reply& r, Ctx&) {
    auto ms = r.took.count();
    return ms >= min_ms && ms <= max_ms ? "" : "took " + std::to_string(ms) + "ms";
  };
}

// ---- the table ----

std::string Ops(int n, const std::string& prefix) {
  Json ops = Json::array();
  for (int i = 0; i < n; ++i) {
    ops.push_back(
        {{"KV", {{"Verb", "set"}, {"Key", prefix + "/" + std::to_string(i)}, {"Value", "eA=="}}}});
  }
  return ops.dump();
}

const std::string kTtlService =
    R"({"Name":"{p}","ID":"{p}-1","Tags":["a","b"],"Check":{"TTL":"30s"}})";

std::vector<Case> KvCases() {
  const std::string k = "/v1/kv/{p}";
  return {
      {"a missing key is a 404 with an empty body and the full query metadata",
       {{"GET", k + "/missing", "", {Status(404), Body(""), Meta()}}}},
      {"a put answers true and a get returns a one-entry array with a base64 value",
       {{"PUT",
         k + "/a",
         "node-a",
         {Status(200), Body("true"), Header("Content-Type", "application/json")}},
        {"GET",
         k + "/a",
         "",
         {Status(200), Meta(), At("/0/Key", R"("{p}/a")"), At("/0/Value", R"("bm9kZS1h")"),
          At("/0/Flags", "0"), At("/0/LockIndex", "0"), Missing("/0/Session")}}}},
      {"an empty value reads back as null",
       {{"PUT", k + "/e", "", {Body("true")}}, {"GET", k + "/e", "", {At("/0/Value", "null")}}}},
      {"cas=0 creates only when the key does not exist",
       {{"PUT", k + "/c?cas=0", "x", {Body("true")}},
        {"PUT", k + "/c?cas=0", "y", {Body("false")}}}},
      {"cas=N writes only when N is the current ModifyIndex",
       {{"PUT", k + "/n", "1", {Body("true")}},
        {"GET", k + "/n", "", {Capture("m", "/0/ModifyIndex")}},
        {"PUT", k + "/n?cas=1", "2", {Body("false")}},
        {"PUT", k + "/n?cas={m}", "2", {Body("true")}},
        {"PUT", k + "/nothing?cas=5", "2", {Body("false")}}}},
      {"flags are stored and a put without flags resets them to 0",
       {{"PUT", k + "/f?flags=42", "v", {Body("true")}},
        {"GET", k + "/f", "", {At("/0/Flags", "42")}},
        {"PUT", k + "/f", "v", {Body("true")}},
        {"GET", k + "/f", "", {At("/0/Flags", "0")}}}},
      {"keys with a separator cut each key after the separator and remove duplicates",
       {{"PUT", k + "/web/foo", "", {}},
        {"PUT", k + "/web/bar", "", {}},
        {"PUT", k + "/web/subdir/x", "", {}},
        {"PUT", k + "/web/subdir/y", "", {}},
        {"GET",
         k + "/web/?keys&separator=/",
         "",
         {Status(200), Meta(), JsonEq(R"(["{p}/web/bar","{p}/web/foo","{p}/web/subdir/"])")}},
        {"GET",
         k + "/web/?keys&seperator=/",
         "",
         {JsonEq(R"(["{p}/web/bar","{p}/web/foo","{p}/web/subdir/"])")}}}},
      {"boolean flags are presence-based: recurse=false still recurses",
       {{"PUT", k + "/r/1", "a", {}},
        {"PUT", k + "/r/2", "b", {}},
        {"GET", k + "/r/?recurse=false", "", {Status(200), At("/1/Key", R"("{p}/r/2")")}}}},
      {"keys or recurse under a prefix with no keys is a 404",
       {{"GET", k + "/none/?keys", "", {Status(404), Meta()}},
        {"GET", k + "/none/?recurse", "", {Status(404), Meta()}}}},
      {"raw returns the bytes as text/plain with nosniff and a CSP sandbox",
       {{"PUT", k + "/raw", "<b>hi</b>", {}},
        {"GET",
         k + "/raw?raw",
         "",
         {Status(200), Body("<b>hi</b>"), Header("X-Content-Type-Options", "nosniff"),
          Header("Content-Security-Policy", "sandbox")}}}},
      {"an empty key without recurse is a 400 Missing key name",
       {{"GET", "/v1/kv/", "", {Status(400), Body("Missing key name")}},
        {"PUT", "/v1/kv/", "x", {Status(400), Body("Missing key name")}},
        {"DELETE", "/v1/kv/", "", {Status(400), Body("Missing key name")}}}},
      {"cas together with acquire is a 400 Conflicting flags",
       {{"PUT",
         k + "/cf?cas=1&acquire=abc",
         "x",
         {Status(400), BodyStarts("Conflicting flags: acquire=abc&cas=1")}},
        {"DELETE", k + "/cf?recurse&cas=1", "", {Status(400), BodyStarts("Conflicting flags: ")}}}},
      {"a cas or flags value that is not a number is a 500 with Go's parse error",
       {{"PUT",
         k + "/x?cas=zz",
         "x",
         {Status(500), Body("strconv.ParseUint: parsing \"zz\": invalid syntax")}},
        {"PUT",
         k + "/x?flags=-1",
         "x",
         {Status(500), BodyStarts("strconv.ParseUint: parsing \"-1\"")}},
        {"DELETE", k + "/x?cas=q", "", {Status(500), BodyStarts("strconv.ParseUint")}}}},
      {"acquire with an unknown session is a 500 invalid session",
       {{"PUT",
         k + "/l?acquire=00000000-0000-0000-0000-000000000000",
         "x",
         {Status(500), BodyStarts("invalid session \"00000000-0000-0000-0000-000000000000\"")}}}},
      {"a value of 512 KiB is accepted and one byte more is a 413",
       {{"PUT", k + "/big", std::string(524288, 'v'), {Status(200), Body("true")}},
        {"PUT",
         k + "/big",
         std::string(524289, 'v'),
         {Status(413), BodyStarts("Request body(524289 bytes) too large")}}}},
      {"deletes answer true for missing keys and cas=0 never deletes an existing key",
       {{"DELETE", k + "/gone", "", {Status(200), Body("true")}},
        {"DELETE", k + "/gone?cas=3", "", {Body("true")}},
        {"PUT", k + "/d", "v", {}},
        {"DELETE", k + "/d?cas=0", "", {Body("false")}},
        {"GET", k + "/d", "", {Status(200), Capture("m", "/0/ModifyIndex")}},
        {"DELETE", k + "/d?cas={m}", "", {Body("true")}},
        {"GET", k + "/d", "", {Status(404)}}}},
      {"an identical write does not move the ModifyIndex",
       {{"PUT", k + "/same", "v", {}},
        {"GET", k + "/same", "", {CaptureIndex("i")}},
        {"PUT", k + "/same", "v", {Body("true")}},
        {"GET", k + "/same", "", {IndexVs('=', "i")}}}},
      {"a prefix list's index does not drop when a key under it is deleted",
       {{"PUT", k + "/t/a", "1", {}},
        {"PUT", k + "/t/b", "2", {}},
        {"GET", k + "/t/?recurse", "", {CaptureIndex("i")}},
        {"DELETE", k + "/t/b", "", {Body("true")}},
        {"GET", k + "/t/?recurse", "", {IndexVs('>', "i")}}}},
      {"a blocking read with the current index returns the same index after the wait",
       {{"PUT", k + "/b", "1", {}},
        {"GET", k + "/b", "", {CaptureIndex("i")}},
        {"GET",
         k + "/b?index={i}&wait=1s",
         "",
         {Status(200), IndexVs('=', "i"), TookBetween(900, 3000)}}}},
      {"a blocking read with an index above the current one blocks and returns the smaller index",
       {{"PUT", k + "/h", "1", {}},
        {"GET", k + "/h", "", {CaptureIndex("i")}},
        {"GET",
         k + "/h?index=99999999999&wait=1s",
         "",
         {Status(200), IndexVs('=', "i"), TookBetween(900, 3000)}}}},
      {"bad index or wait values are 400s and stale with consistent conflicts",
       {{"GET", k + "/q?index=abc", "", {Status(400), Body("Invalid index")}},
        {"GET", k + "/q?index=1&wait=forever", "", {Status(400), Body("Invalid wait time")}},
        {"GET",
         k + "/q?stale&consistent",
         "",
         {Status(400), Body("Cannot specify ?stale with ?consistent, conflicting semantics.")}}}},
  };
}

std::vector<Case> SessionTxnAgentCases() {
  const std::string k = "/v1/kv/{p}";
  const std::string lock = R"({"Name":"{p}","LockDelay":"10s"})";
  return {
      {"a session created without a body gets Consul's defaults",
       {{"PUT", "/v1/session/create", "", {Status(200), Capture("s", "/ID")}},
        {"GET",
         "/v1/session/info/{s}",
         "",
         {Status(200), Meta(), At("/0/LockDelay", "15000000000"), At("/0/Behavior", R"("release")"),
          At("/0/TTL", R"("")"), At("/0/NodeChecks", R"(["serfHealth"])")}},
        {"PUT", "/v1/session/destroy/{s}", "", {Body("true")}}}},
      {"unknown sessions: destroy is true, info is [], renew is a 404",
       {{"PUT",
         "/v1/session/destroy/00000000-0000-0000-0000-000000000000",
         "",
         {Status(200), Body("true")}},
        {"GET",
         "/v1/session/info/00000000-0000-0000-0000-000000000000",
         "",
         {Status(200), Body("[]"), Meta()}},
        {"PUT",
         "/v1/session/renew/00000000-0000-0000-0000-000000000000",
         "",
         {Status(404),
          BodyStarts("Session id '00000000-0000-0000-0000-000000000000' not found")}}}},
      {"session validation failures are 500s and unknown fields 400s",
       {{"PUT",
         "/v1/session/create",
         R"({"TTL":"5s"})",
         {Status(500),
          BodyStarts("Invalid Session TTL '5000000000', must be between [10s=24h0m0s]")}},
        {"PUT",
         "/v1/session/create",
         R"({"Behavior":"explode"})",
         {Status(500), BodyStarts("Invalid Behavior setting 'explode'")}},
        {"PUT",
         "/v1/session/create",
         R"({"Bogus":1})",
         {Status(400), Body("Request decode failed: json: unknown field \"Bogus\"")}},
        {"PUT",
         "/v1/session/create",
         R"({"NodeChecks":["nope-{p}"]})",
         {Status(500), BodyStarts("Missing check 'nope-{p}' registration")}}}},
      {"renew returns an array holding the session",
       {{"PUT", "/v1/session/create", R"({"TTL":"15s"})", {Capture("s", "/ID")}},
        {"PUT",
         "/v1/session/renew/{s}",
         "",
         {Status(200), At("/0/ID", R"("{s}")"), At("/0/TTL", R"("15s")")}},
        {"PUT", "/v1/session/destroy/{s}", "", {}}}},
      {"acquire and release follow Consul: LockIndex, held-by-other false, release overwrites the value",
       {{"PUT", "/v1/session/create", lock, {Capture("s", "/ID")}},
        {"PUT", "/v1/session/create", lock, {Capture("t", "/ID")}},
        {"PUT", k + "/lock?acquire={s}", "me", {Body("true")}},
        {"GET", k + "/lock", "", {At("/0/LockIndex", "1"), At("/0/Session", R"("{s}")")}},
        {"PUT", k + "/lock?acquire={t}", "other", {Body("false")}},
        {"PUT", k + "/lock", "plain", {Body("true")}},
        {"GET", k + "/lock", "", {At("/0/Session", R"("{s}")")}},
        {"PUT", k + "/lock?release={t}", "", {Body("false")}},
        {"PUT", k + "/lock?release={s}", "", {Body("true")}},
        {"GET",
         k + "/lock",
         "",
         {At("/0/Value", "null"), Missing("/0/Session"), At("/0/LockIndex", "1")}},
        {"PUT", k + "/lock?acquire={t}", "t", {Body("true")}},
        {"GET", k + "/lock", "", {At("/0/LockIndex", "2")}},
        {"PUT", "/v1/session/destroy/{t}", "", {}},
        {"PUT", "/v1/session/destroy/{s}", "", {}}}},
      {"an invalidated session's keys are released and locked out for the lock-delay",
       {{"PUT", "/v1/session/create", lock, {Capture("s", "/ID")}},
        {"PUT", "/v1/session/create", lock, {Capture("t", "/ID")}},
        {"PUT", k + "/ld?acquire={s}", "v", {Body("true")}},
        {"GET", k + "/ld", "", {CaptureIndex("i")}},
        {"PUT", "/v1/session/destroy/{s}", "", {Body("true")}},
        {"GET",
         k + "/ld",
         "",
         {Missing("/0/Session"), At("/0/Value", R"("dg==")"), IndexVs('>', "i")}},
        {"PUT", k + "/ld?acquire={t}", "v", {Status(200), Body("false")}},
        {"PUT", "/v1/session/destroy/{t}", "", {}}}},
      {"a session with behavior delete deletes its keys when destroyed",
       {{"PUT",
         "/v1/session/create",
         R"({"Behavior":"delete","LockDelay":"0s"})",
         {Capture("s", "/ID")}},
        {"PUT", k + "/del?acquire={s}", "v", {Body("true")}},
        {"PUT", "/v1/session/destroy/{s}", "", {}},
        {"GET", k + "/del", "", {Status(404)}}}},
      {"a txn applies every op at one index; set results carry no value, get results do",
       {{"PUT",
         "/v1/txn",
         R"([{"KV":{"Verb":"set","Key":"{p}/x","Value":"djM="}},{"KV":{"Verb":"set","Key":"{p}/y","Value":"djM="}},{"KV":{"Verb":"get","Key":"{p}/x"}}])",
         {Status(200), At("/Errors", "null"), At("/Results/0/KV/Value", "null"),
          At("/Results/2/KV/Value", R"("djM=")"), Capture("m", "/Results/0/KV/ModifyIndex"),
          At("/Results/1/KV/ModifyIndex", "{m}")}}}},
      {"a failed txn is a 409 reporting every failing op and applying nothing",
       {{"PUT",
         "/v1/txn",
         R"([{"KV":{"Verb":"check-index","Key":"{p}/none","Index":5}},{"KV":{"Verb":"set","Key":"{p}/w","Value":"eA=="}},{"KV":{"Verb":"get","Key":"{p}/none2"}}])",
         {Status(409), At("/Results", "null"), At("/Errors/0/OpIndex", "0"),
          At("/Errors/0/What", R"("failed to check index, key \"{p}/none\" doesn't exist")"),
          At("/Errors/1/OpIndex", "2"),
          At("/Errors/1/What", R"("key \"{p}/none2\" doesn't exist")")}},
        {"GET", k + "/w", "", {Status(404)}}}},
      {"a txn of 128 ops is applied and one of 129 is a 413",
       {{"PUT", "/v1/txn", Ops(128, "{p}/ops"), {Status(200)}},
        {"PUT",
         "/v1/txn",
         Ops(129, "{p}/ops"),
         {Status(413), Body("Transaction contains too many operations (129 > 128)")}}}},
      {"a txn body that is not JSON or has bad base64 is a 400",
       {{"PUT", "/v1/txn", "[{", {Status(400), BodyStarts("Failed to parse body: ")}},
        {"PUT",
         "/v1/txn",
         R"([{"KV":{"Verb":"set","Key":"{p}/b","Value":"!!"}}])",
         {Status(400), BodyStarts("Failed to parse body: ")}}}},
      {"a read-only txn carries KnownLeader but no X-Consul-Index",
       {{"PUT",
         "/v1/txn",
         R"([{"KV":{"Verb":"get-tree","Key":"{p}/"}}])",
         {Status(200), Header("X-Consul-KnownLeader"), NoHeader("X-Consul-Index")}}}},
      {"a service registration without a name or with an unknown field is a 400",
       {{"PUT",
         "/v1/agent/service/register",
         R"({"ID":"{p}"})",
         {Status(400), Body("Missing service name")}},
        {"PUT",
         "/v1/agent/service/register",
         R"({"Name":"{p}","Nope":1})",
         {Status(400), Body("Request decode failed: json: unknown field \"Nope\"")}}}},
      {"a new TTL check starts critical with Consul's default ID and name",
       {{"PUT", "/v1/agent/service/register", kTtlService, {Status(200), Body("")}},
        {"GET", "/v1/health/service/{p}?passing", "", {Status(200), Body("[]"), Meta()}},
        {"GET",
         "/v1/health/checks/{p}",
         "",
         {At("/0/CheckID", R"("service:{p}-1")"), At("/0/Status", R"("critical")"),
          At("/0/Name", R"("Service '{p}' check")"), At("/0/Type", R"("ttl")")}},
        {"PUT", "/v1/agent/service/deregister/{p}-1", "", {Status(200)}}}},
      {"a passing TTL check shows in ?passing with the node's serfHealth check and the note as output",
       {{"PUT", "/v1/agent/service/register", kTtlService, {}},
        {"GET", "/v1/health/service/{p}", "", {CaptureIndex("i")}},
        {"PUT", "/v1/agent/check/pass/service:{p}-1?note=ok", "", {Status(200), Body("")}},
        {"GET",
         "/v1/health/service/{p}?passing&index={i}&wait=5s",
         "",
         {Status(200), IndexVs('>', "i"), At("/0/Service/ID", R"("{p}-1")"),
          At("/0/Service/Weights", R"({"Passing":1,"Warning":1})"),
          At("/0/Checks/0/CheckID", R"("serfHealth")"), At("/0/Checks/1/Output", R"("ok")")}},
        {"GET",
         "/v1/health/service/{p}?passing&tag=a&tag=b",
         "",
         {At("/0/Service/Tags", R"(["a","b"])")}},
        {"GET", "/v1/health/service/{p}?tag=a&tag=zzz", "", {Body("[]")}},
        {"PUT", "/v1/agent/check/warn/service:{p}-1", "", {Status(200)}},
        {"GET", "/v1/health/service/{p}?passing", "", {Body("[]")}},
        {"GET",
         "/v1/health/service/{p}?passing=false",
         "",
         {At("/0/Checks/1/Status", R"("warning")")}},
        {"GET",
         "/v1/health/service/{p}?passing=bogus",
         "",
         {Status(400), Body("Invalid value for ?passing")}},
        {"PUT", "/v1/agent/service/deregister/{p}-1", "", {Status(200)}}}},
      {"check and service updates on unknown IDs are 404s and bad statuses 400s",
       {{"PUT",
         "/v1/agent/check/pass/nope-{p}",
         "",
         {Status(404),
          Body(
              "Unknown check ID \"nope-{p}\". Ensure that the check ID is passed, not the check name.")}},
        {"PUT",
         "/v1/agent/service/deregister/nope-{p}",
         "",
         {Status(404), BodyStarts("Unknown service ID \"nope-{p}\"")}},
        {"PUT", "/v1/agent/service/register", kTtlService, {}},
        {"PUT",
         "/v1/agent/check/update/service:{p}-1",
         R"({"Status":"bogus"})",
         {Status(400), Body("Invalid check status: 'bogus'")}},
        {"PUT",
         "/v1/agent/check/update/service:{p}-1",
         R"({"Status":"passing","Output":"fine"})",
         {Status(200)}},
        {"GET",
         "/v1/health/checks/{p}",
         "",
         {At("/0/Status", R"("passing")"), At("/0/Output", R"("fine")")}},
        {"PUT", "/v1/agent/service/deregister/{p}-1", "", {Status(200)}}}},
      {"maintenance mode adds a critical _service_maintenance check and removes it again",
       {{"PUT", "/v1/agent/service/register", kTtlService, {}},
        {"PUT",
         "/v1/agent/service/maintenance/{p}-1?enable=true&reason=upgrade",
         "",
         {Status(200)}},
        {"GET",
         "/v1/health/checks/{p}",
         "",
         {At("/0/CheckID", R"("_service_maintenance:{p}-1")"), At("/0/Status", R"("critical")"),
          At("/0/Notes", R"("upgrade")")}},
        {"PUT", "/v1/agent/service/maintenance/{p}-1?enable=false", "", {Status(200)}},
        {"GET", "/v1/health/checks/{p}", "", {At("/0/CheckID", R"("service:{p}-1")")}},
        {"PUT", "/v1/agent/service/deregister/{p}-1", "", {}}}},
      {"re-registering with replace-existing-checks drops checks not in the request",
       {{"PUT",
         "/v1/agent/service/register",
         R"({"Name":"{p}","ID":"{p}-1","Checks":[{"TTL":"30s"},{"TTL":"30s"}]})",
         {}},
        {"GET", "/v1/health/checks/{p}", "", {At("/1/CheckID", R"("service:{p}-1:2")")}},
        {"PUT",
         "/v1/agent/service/register?replace-existing-checks",
         R"({"Name":"{p}","ID":"{p}-1","Check":{"CheckID":"service:{p}-1:1","TTL":"30s"}})",
         {}},
        {"GET", "/v1/health/checks/{p}", "", {Missing("/1")}},
        {"PUT", "/v1/agent/service/deregister/{p}-1", "", {}}}},
      {"agent and catalog listings show the service; unknown services are []",
       {{"PUT", "/v1/agent/service/register", kTtlService, {}},
        {"GET",
         "/v1/agent/services",
         "",
         {At("/{p}-1/Service", R"("{p}")"), At("/{p}-1/Tags", R"(["a","b"])")}},
        {"GET", "/v1/agent/checks", "", {At("/service:{p}-1/Status", R"("critical")")}},
        {"GET",
         "/v1/catalog/service/{p}",
         "",
         {Status(200), Meta(), At("/0/ServiceID", R"("{p}-1")")}},
        {"GET", "/v1/catalog/services", "", {At("/{p}", R"(["a","b"])")}},
        {"PUT", "/v1/agent/service/deregister/{p}-1", "", {}},
        {"GET", "/v1/health/service/{p}", "", {Status(200), Body("[]"), Meta()}},
        {"GET", "/v1/catalog/service/{p}", "", {Status(200), Body("[]")}}}},
      {"a wrong method is a 405 with Allow, an unknown path a 404, OPTIONS a 200",
       {{"POST",
         k + "/m",
         "x",
         {Status(405), Body("method POST not allowed"), Header("Allow", "OPTIONS,GET,PUT,DELETE")}},
        {"GET", "/v1/txn", "", {Status(405), Header("Allow", "OPTIONS,PUT")}},
        {"GET",
         "/v1/no/such/endpoint",
         "",
         {Status(404), Body("Invalid URL path: not a recognized HTTP API endpoint")}},
        {"OPTIONS", k + "/m", "", {Status(200), Header("Allow", "OPTIONS,GET,PUT,DELETE")}},
        {"GET", "/v1/status/leader", "", {Status(200), Header("X-Consul-Default-ACL-Policy")}}}},
  };
}

TEST_CASE("every conformance case behaves as real Consul does") {
  const std::vector<Case> cases = KvCases();
  const std::vector<Case> more = SessionTxnAgentCases();
  int n = 0;
  for (const Case& c : cases) RunCase(c, n++);
  for (const Case& c : more) RunCase(c, n++);
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
}  // namespace shardgate::harness
