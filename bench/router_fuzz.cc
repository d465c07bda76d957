// Bench: a bounded fuzz run of random and mutated startup sequences (plain and TLS-shaped)
// against two running routers (HAProxy + Lua, a minimal responder behind each), one with TLS on
// and one without, half the cases each, with valid connections every ~50 ms meanwhile. Prints
// outcome counts per router; reports, never fails on timing.
#include <csignal>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/router_load.h"
#include "bench/router_setup.h"
#include "tests/harness/fake_pg_server.h"
#include "tests/harness/pg_tls_client.h"
#include "tests/harness/pgwire_client.h"
#include "tests/harness/pgwire_fuzz.h"
#include "tests/harness/temp_dir.h"
#include "tests/harness/test_certs.h"

namespace shardgate::bench {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr uint64_t kCases = 100000;
constexpr milliseconds kMaxRun(240000);
constexpr milliseconds kInspectDelay(1000);
// An answer or a close must come within the inspect-delay plus scheduling slack.
constexpr milliseconds kAnswerBound = kInspectDelay + milliseconds(2000);
constexpr int kFuzzThreads = 6;
constexpr uint64_t kSeed = 20240601;

// Outcome counters shared by the fuzz threads.
class Tally {
 public:
  void Add(const std::string& outcome) {
    std::lock_guard lock(mutex_);
    ++counts_[outcome];
  }
  std::map<std::string, uint64_t> counts() const {
    std::lock_guard lock(mutex_);
    return counts_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, uint64_t> counts_;
};

// The first bytes of an SSLRequest/GSSENCRequest answer ('N', or 'S' when the router does TLS)
// are not a typed message.
bool StartsWithNegotiation(const harness::FuzzCase& c) {
  return c.kind == harness::FuzzKind::kSslThenGarbage ||
         c.kind == harness::FuzzKind::kGssThenGarbage ||
         c.kind == harness::FuzzKind::kSslThenTlsCut || c.kind == harness::FuzzKind::kSslThenHello;
}

// What the router sent before closing, when TLS may be in play (after its 'S', or bytes that
// look like direct TLS): a TLS alert record (0x15: HAProxy's TLS frontend refused the handshake),
// a PostgreSQL ErrorResponse (TLS off: the bytes were read as a startup), or nothing.
std::string AnswerUntilClosed(harness::PgWireConnection& connection, milliseconds timeout) {
  auto bytes = connection.ReadUntilClosed(timeout);
  if (!bytes.ok()) return bytes.status().code() == Code::kTimeout ? "timeout" : "closed";
  if (bytes->empty()) return "closed";
  if ((*bytes)[0] == 0x15) return "tls alert";
  auto message = harness::TakeMessage(*bytes);
  if (message.ok() && message->has_value() && (*message)->type == 'E') {
    auto fields = harness::ParseErrorFields((*message)->body);
    if (fields.ok()) return "error " + fields->sqlstate;
  }
  return "protocol";
}

// Reads the router's answer to one case: "error <SQLSTATE>", "closed", "routed" (the
// responder's ReadyForQuery: the case was a routable startup), "timeout" or "protocol".
std::string Outcome(harness::PgWireConnection& connection, const harness::FuzzCase& c) {
  auto deadline = SteadyClock::now() + kAnswerBound;
  auto left = [&] {
    return std::max(milliseconds(0),
                    std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now()));
  };
  if (c.kind == harness::FuzzKind::kDirectTlsLike) {
    std::string answer = AnswerUntilClosed(connection, left());
    // Taken for a ClientHello and handed to the TLS frontend, which waits for the whole record.
    return answer == "timeout" && !c.half_close ? "TLS record awaited" : answer;
  }
  if (StartsWithNegotiation(c)) {
    auto answer = connection.ReadByte(left());
    if (!answer.ok()) return answer.status().code() == Code::kTimeout ? "timeout" : "closed";
    // 'S': what follows is the client's TLS, which the router hands to HAProxy's TLS frontend.
    if (*answer == 'S' && c.kind != harness::FuzzKind::kGssThenGarbage) {
      std::string rest = AnswerUntilClosed(connection, left());
      // A ClientHello record header promising more bytes than follow: HAProxy's TLS frontend
      // waits for them (its handshake bound is 60 s) until the client gives up.
      if (rest == "timeout" && c.kind == harness::FuzzKind::kSslThenHello && !c.half_close) {
        return "S, TLS record awaited";
      }
      return "S, " + rest;
    }
    if (*answer != 'N') return "protocol";
  }
  auto reply = harness::ReadStartupReply(connection, left());
  if (!reply.ok()) return reply.status().code() == Code::kTimeout ? "timeout" : "protocol";
  if (reply->error) {
    auto rest = connection.ReadUntilClosed(left());
    return "error " + reply->error->sqlstate + (rest.ok() ? "" : " (left open)");
  }
  if (reply->ready) {
    (void)connection.Send(harness::TerminateMessage(), {}, milliseconds(1000));
    return "routed";
  }
  return "closed";
}

std::string RunCase(int port, const harness::FuzzCase& c) {
  auto connection = harness::PgWireConnection::Connect("127.0.0.1", port, milliseconds(2000));
  if (!connection.ok()) return "connect failed";
  // A send may fail half-way when the router already answered and closed: that is an answer.
  (void)connection->Send(c.bytes, {c.chunk_bytes, milliseconds(0)}, milliseconds(2000));
  if (c.half_close) connection->ShutdownWrite();
  std::string outcome = Outcome(*connection, c);
  // Outcomes other than an error or a routed startup name the mutation that caused them.
  if (outcome == "timeout" || outcome == "protocol" || outcome == "closed" ||
      outcome.rfind("S, ", 0) == 0 || outcome == "tls alert" || outcome == "TLS record awaited") {
    outcome += " " + std::string(harness::FuzzKindName(c.kind));
  }
  return outcome;
}

struct ValidProbe {
  std::atomic<uint64_t> ok{0}, failed{0};
  std::string first_failure;
};

// One valid routed session: clear text after an SSLRequest answered 'N', or with `tls` a TLS
// session (SSLRequest, 'S', handshake). Empty when ready, else what went wrong.
std::string ValidSession(int port, bool tls) {
  const auto params = harness::KeyedParams("bench", "bench", 42);
  if (!tls) {
    auto session = harness::StartSession("127.0.0.1", port, params, {true, {}, milliseconds(3000)});
    if (!session.ok()) return session.status().ToString();
    if (!session->reply.ready) return "no ReadyForQuery";
    (void)session->connection.Send(harness::TerminateMessage());
    return "";
  }
  harness::TlsClientOptions options;
  options.port = port;
  options.timeout = milliseconds(3000);
  auto connection = harness::PgTlsConnection::Open(options);
  if (!connection.ok()) return connection.status().ToString();
  auto reply = harness::TlsStartup(*connection, params, milliseconds(3000));
  if (!reply.ok()) return reply.status().ToString();
  if (!reply->ready) return "no ReadyForQuery over TLS";
  (void)connection->Send(harness::TerminateMessage());
  return "";
}

// A valid routed connection every ~50 ms until `stop`.
void ProbeValid(int port, bool tls, const std::atomic<bool>& stop, ValidProbe& probe) {
  while (!stop.load()) {
    std::string failure = ValidSession(port, tls);
    if (failure.empty()) {
      probe.ok.fetch_add(1);
    } else if (probe.failed.fetch_add(1) == 0) {
      probe.first_failure = failure;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
}

void PrintCounts(const std::map<std::string, uint64_t>& counts, uint64_t cases, double seconds) {
  std::printf("router_fuzz: %llu cases in %s s (%s cases/s)\n",
              static_cast<unsigned long long>(cases), Fixed(seconds, 1).c_str(),
              Fixed(static_cast<double>(cases) / seconds, 0).c_str());
  for (const auto& [outcome, count] : counts) {
    std::printf("router_fuzz: outcome %-22s %llu\n", outcome.c_str(),
                static_cast<unsigned long long>(count));
  }
}

// Prints outcome counts, the bound check, HAProxy's health and the valid probes' results.
void Report(const Tally& tally, double seconds, harness::HaproxyProcess& haproxy, pid_t pid,
            const ValidProbe& probe) {
  auto counts = tally.counts();
  uint64_t cases = 0;
  for (const auto& [unused, count] : counts) cases += count;
  PrintCounts(counts, cases, seconds);
  uint64_t unbounded = 0;
  for (const auto& [outcome, count] : counts) {
    if (outcome.find("timeout") != std::string::npos || outcome.rfind("connect", 0) == 0)
      unbounded += count;
  }
  std::printf("router_fuzz: answered or closed within %lld ms: %llu of %llu\n",
              static_cast<long long>(kAnswerBound.count()),
              static_cast<unsigned long long>(cases - unbounded),
              static_cast<unsigned long long>(cases));
  auto info = haproxy.Runtime("show info");
  bool answers = info.ok() && info->find("Pid: ") != std::string::npos;
  std::printf("router_fuzz: haproxy pid unchanged=%s running=%s show_info_answers=%s\n",
              haproxy.pid() == pid ? "yes" : "no", haproxy.IsRunning() ? "yes" : "no",
              answers ? "yes" : "no");
  std::printf("router_fuzz: valid connections ok=%llu failed=%llu%s%s\n",
              static_cast<unsigned long long>(probe.ok.load()),
              static_cast<unsigned long long>(probe.failed.load()),
              probe.failed.load() > 0 ? " first_failure=" : "", probe.first_failure.c_str());
}

// The fuzz's two routers: TLS off (SSLRequest -> 'N') and TLS on ('S' and the hand-off).
struct Routers {
  BenchHaproxy plain;
  BenchHaproxy tls;
};

Result<Routers> StartRouters(const std::filesystem::path& dir, int responder_port) {
  const std::vector<model::Segment> segments = {
      {-1000, -1, "shard_2"}, {0, 4999, "shard_1"}, {5000, 9999, "shard_2"}};
  ASSIGN_OR_RETURN(auto plain,
                   StartRouterHaproxy(dir / "plain", responder_port, segments, kInspectDelay));
  ASSIGN_OR_RETURN(harness::TestCerts ca, harness::MakeTestCa(dir / "certs"));
  ASSIGN_OR_RETURN(harness::IssuedCert cert,
                   harness::IssueServerCert(ca, "router", {"localhost", "127.0.0.1"}));
  haproxy::TlsSpec tls;
  tls.cert_path = cert.pem.string();
  ASSIGN_OR_RETURN(auto with_tls, StartRouterHaproxy(dir / "tls", responder_port, segments,
                                                     kInspectDelay, {}, tls));
  return Routers{std::move(plain), std::move(with_tls)};
}

int Run() {
  std::signal(SIGPIPE, SIG_IGN);
  auto dir = harness::TempDir::Create("shardgate-router-fuzz");
  auto responder = harness::FakePgServer::Start(1);
  if (!dir.ok() || !responder.ok()) {
    std::printf("router_fuzz: could not start the responder or temp dir\n");
    return 1;
  }
  auto routers = StartRouters((*dir)->path(), (*responder)->port());
  if (!routers.ok()) {
    std::printf("router_fuzz: could not start HAProxy: %s\n", routers.status().ToString().c_str());
    return 1;
  }
  BenchHaproxy* by_thread[] = {&routers->plain, &routers->tls};
  pid_t pids[] = {routers->plain.process->pid(), routers->tls.process->pid()};
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> issued{0};
  ValidProbe probes[2];
  Tally tallies[2];
  auto begin = SteadyClock::now();
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] { ProbeValid(by_thread[r]->rw_port, r == 1, stop, probes[r]); });
  }
  std::vector<std::thread> fuzzers;
  for (int t = 0; t < kFuzzThreads; ++t) {
    fuzzers.emplace_back([&, t] {
      harness::StartupFuzzer fuzzer(kSeed + static_cast<uint64_t>(t));
      const BenchHaproxy& router = *by_thread[t % 2];
      while (SteadyClock::now() - begin < kMaxRun && issued.fetch_add(1) < kCases) {
        harness::FuzzCase c = fuzzer.Next();
        tallies[t % 2].Add(RunCase((t / 2) % 2 == 0 ? router.rw_port : router.ro_port, c));
      }
    });
  }
  for (auto& thread : fuzzers) thread.join();
  stop.store(true);
  for (auto& thread : threads) thread.join();
  double seconds = std::chrono::duration<double>(SteadyClock::now() - begin).count();

  for (int r = 0; r < 2; ++r) {
    std::printf("router_fuzz: == router with TLS %s\n", r == 0 ? "off" : "on");
    Report(tallies[r], seconds, *by_thread[r]->process, pids[r], probes[r]);
  }
  return 0;
}

}  // namespace
}  // namespace shardgate::bench

int main() { return shardgate::bench::Run(); }
