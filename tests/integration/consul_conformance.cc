// The Consul conformance suite's table framework: target, requests, case runner, expectations.
#include "tests/integration/consul_conformance.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <utility>

#include "tests/harness/consul_dev_process.h"

namespace shardgate::harness::conformance {
namespace {

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

// `text` with every {name} replaced by its value in `ctx`.
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

}  // namespace

doctest::skip DevServerOnly() { return doctest::skip(RealConsulAddress() != nullptr); }

Reply Send(const std::string& host, int port, const std::string& token, const std::string& method,
           const std::string& path, const std::string& body, httplib::Headers headers) {
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

Reply SendTo(const std::string& method, const std::string& path, const std::string& body) {
  Target& t = GetTarget();
  return Send(t.host, t.port, t.token, method, path, body);
}

uint64_t IndexOf(const Reply& r) {
  auto it = r.headers.find("X-Consul-Index");
  return it == r.headers.end() ? 0 : std::stoull(it->second);
}

std::unique_ptr<PendingGet> PendingGet::Send(const std::string& path) {
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

PendingGet::~PendingGet() {
  if (fd_ >= 0) ::close(fd_);
}

bool PendingGet::Answered() const {
  pollfd p{fd_, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

Reply PendingGet::Wait(std::chrono::milliseconds timeout) {
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

PendingGet::PendingGet(int fd) : fd_(fd), sent_at_(Clock::now()) {}

// ---- the case runner ----

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
Expect Header(std::string name, std::string want) {
  return [name, want](const Reply& r, Ctx& ctx) -> std::string {
    auto it = r.headers.find(name);
    if (it == r.headers.end()) return "header " + name + " missing";
    const std::string expanded = Expand(want, ctx);
    if (want != "*" && it->second != expanded)
      return "header " + name + " is " + it->second + ", not " + expanded;
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

// ---- table helpers ----

std::string Ops(int n, const std::string& prefix) {
  Json ops = Json::array();
  for (int i = 0; i < n; ++i) {
    ops.push_back(
        {{"KV", {{"Verb", "set"}, {"Key", prefix + "/" + std::to_string(i)}, {"Value", "eA=="}}}});
  }
  return ops.dump();
}

}  // namespace shardgate::harness::conformance
