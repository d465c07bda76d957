// Bench: TLS at the router. (A) `pgbench -n -S -C` with sslmode=require through the router beside
// sslmode=require straight to PostgreSQL (ssl=on), and sslmode=disable through the router; (B)
// HAProxy CPU per TLS connection of the router (direct TLS and the SSLRequest path) beside
// HAProxy terminating TLS in mode tcp without Lua. Prints figures and ratios; never fails on
// timing; every loop is bounded in count and time.
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_flags.h"
#include "bench/pgbench_runs.h"
#include "bench/proc_usage.h"
#include "bench/router_load.h"
#include "bench/router_tls_setup.h"
#include "tests/harness/pg_tls_client.h"
#include "tests/harness/pgwire_client.h"

namespace shardgate::bench {
namespace {

using std::chrono::milliseconds;

constexpr char kUsage[] =
    "usage: router_tls_bench [--clients N] [--seconds S] [--connections N]\n"
    "  --clients N      pgbench clients (-c), 1..64, default 4\n"
    "  --seconds S      pgbench duration per run (-T), 1..600, default 10\n"
    "  --connections N  connections per CPU sample, 100..100000, default 2000\n";

// HAProxy (both) on CPU 0; the connection generator on CPU 1; PostgreSQL where it lands.
constexpr int kHaproxyCpu = 0;
constexpr int kClientCpu = 1;
constexpr int kPgbenchRounds = 2;
constexpr int kCpuRepeats = 2;
constexpr int kLoopThreads = 2;
constexpr milliseconds kLoopBudget{45000};  // per CPU sample, whatever the count
constexpr milliseconds kIdleWindow{10000};  // /proc counts 10 ms ticks
constexpr milliseconds kStepTimeout{5000};
constexpr int64_t kKey = 42;

struct Flags {
  int clients = 4;
  int seconds = 10;
  int connections = 2000;
};

Result<Flags> ParseBenchFlags(int argc, char** argv) {
  FlagSet set;
  for (const char* name : {"clients", "seconds", "connections"}) set.Value(name);
  ASSIGN_OR_RETURN(ParsedFlags parsed, set.Parse(std::vector<std::string>(argv + 1, argv + argc)));
  Flags flags;
  RETURN_IF_ERROR(IntFlag(parsed, "clients", 1, 64, &flags.clients));
  RETURN_IF_ERROR(IntFlag(parsed, "seconds", 1, 600, &flags.seconds));
  RETURN_IF_ERROR(IntFlag(parsed, "connections", 100, 100000, &flags.connections));
  return flags;
}

// Figure A: tps with a new connection per transaction, TLS both ways, plus clear text through
// the router for context.
void RunPgbenchFigure(const TlsBenchSetup& setup, const Flags& flags) {
  const std::string key = "-c shardgate.key=" + std::to_string(kKey);
  const std::vector<PgbenchTarget> targets = {{"direct_tls", setup.node->port(), "", "require"},
                                              {"router_tls", setup.router.rw_port, key, "require"},
                                              {"router_plain", setup.router.rw_port, key,
                                               "disable"}};
  std::printf("router_tls_bench: A: pgbench -n -S -C -c %d -T %d, %d rounds (order alternated)\n",
              flags.clients, flags.seconds, kPgbenchRounds);
  std::vector<double> tps = RunPgbenchRounds("router_tls_bench: A", targets, kPgbenchRounds,
                                             flags.clients, flags.seconds);
  for (size_t i = 0; i < targets.size(); ++i) {
    std::printf("router_tls_bench: A mean %-14s tps=%s (sslmode=%s)\n", targets[i].name.c_str(),
                Fixed(tps[i], 1).c_str(), targets[i].sslmode.c_str());
  }
  if (tps[0] > 0) {
    std::printf("router_tls_bench: A router_tls/direct_tls tps ratio %s (target >= 0.90)\n",
                Fixed(tps[1] / tps[0], 2).c_str());
  }
  if (tps[2] > 0) {
    std::printf("router_tls_bench: A router_tls/router_plain tps ratio %s\n",
                Fixed(tps[1] / tps[2], 2).c_str());
  }
  std::fflush(stdout);
}

// "<what>: <status>" into *reason; false, for the attempt to return.
bool Failed(std::string* reason, const std::string& what, const Status& status) {
  *reason = what + ": " + status.ToString();
  return false;
}

// One TLS connection as a PostgreSQL 17 client (direct) or any libpq (SSLRequest) makes it:
// handshake, StartupMessage, read to ReadyForQuery, Terminate, close_notify, close.
ConnectionAttempt TlsAttempt(int port, harness::TlsNegotiation negotiation) {
  return [port, negotiation](int, uint64_t, std::string* reason) {
    harness::TlsClientOptions options;
    options.port = port;
    options.negotiation = negotiation;
    options.timeout = kStepTimeout;
    auto connection = harness::PgTlsConnection::Open(options);
    if (!connection.ok()) return Failed(reason, "handshake", connection.status());
    auto reply = harness::TlsStartup(
        *connection, harness::KeyedParams("postgres", "postgres", kKey), kStepTimeout);
    if (!reply.ok()) return Failed(reason, "startup", reply.status());
    if (!reply->ready) {
      *reason = reply->error ? reply->error->sqlstate + " " + reply->error->message
                             : "closed during startup";
      return false;
    }
    (void)connection->Send(harness::TerminateMessage(), kStepTimeout);
    return true;
  };
}

// The same exchange in clear text (no SSLRequest).
ConnectionAttempt PlainAttempt(int port) {
  return [port](int, uint64_t, std::string* reason) {
    harness::SessionOptions options;
    options.timeout = kStepTimeout;
    auto session = harness::StartSession(
        "127.0.0.1", port, harness::KeyedParams("postgres", "postgres", kKey), options);
    if (!session.ok()) return Failed(reason, "startup", session.status());
    if (!session->reply.ready) {
      *reason = session->reply.error
                    ? session->reply.error->sqlstate + " " + session->reply.error->message
                    : "closed during startup";
      return false;
    }
    (void)session->connection.Send(harness::TerminateMessage(), {}, kStepTimeout);
    return true;
  };
}

struct CpuTarget {
  std::string name;
  pid_t haproxy_pid = 0;
  ConnectionAttempt attempt;
};

// HAProxy CPU seconds per wall second with no client: health checks every second and the
// router's Lua task. At a few dozen PostgreSQL connections per second that is not negligible
// beside the per-connection cost, so MeasureCpu takes it out.
std::map<pid_t, double> IdleCpuRates(const std::vector<pid_t>& pids) {
  auto cpu_seconds = [](pid_t pid) {
    Result<ProcUsage> usage = ReadProcUsage(pid);
    return usage.ok() ? usage->cpu_seconds : 0.0;
  };
  std::map<pid_t, double> before;
  for (pid_t pid : pids) before[pid] = cpu_seconds(pid);
  std::this_thread::sleep_for(kIdleWindow);
  std::map<pid_t, double> rates;
  for (pid_t pid : pids) {
    rates[pid] = std::max(0.0, cpu_seconds(pid) - before[pid]) /
                 std::chrono::duration<double>(kIdleWindow).count();
  }
  return rates;
}

// HAProxy CPU (utime + stime) per successful connection in us over one bounded loop, less its
// idle rate over the loop's wall time; 0 when nothing succeeded or /proc could not be read.
double MeasureCpu(const CpuTarget& target, double idle_rate, const Flags& flags, int repeat) {
  LoadSpec spec;
  spec.threads = kLoopThreads;
  spec.cpu = kClientCpu;
  spec.max_connections = 20;  // warm-up: Lua states, TLS contexts, PostgreSQL caches
  spec.max_duration = milliseconds(10000);
  (void)RunAttemptLoop(spec, target.attempt);
  spec.max_connections = static_cast<uint64_t>(flags.connections);
  spec.max_duration = kLoopBudget;
  auto before = ReadProcUsage(target.haproxy_pid);
  LoadResult load = RunAttemptLoop(spec, target.attempt);
  auto after = ReadProcUsage(target.haproxy_pid);
  double raw_us = 0;
  double us = 0;
  if (before.ok() && after.ok() && load.ok > 0) {
    double used = after->cpu_seconds - before->cpu_seconds;
    raw_us = used * 1e6 / static_cast<double>(load.ok);
    us = (used - idle_rate * load.elapsed.count()) * 1e6 / static_cast<double>(load.ok);
  }
  std::printf("router_tls_bench: B %-22s #%d conns=%llu failed=%llu rate=%s/s haproxy_cpu=%s "
              "us/conn (raw %s) rss=%s MiB%s%s\n",
              target.name.c_str(), repeat, static_cast<unsigned long long>(load.ok),
              static_cast<unsigned long long>(load.failed), Fixed(load.Rate(), 1).c_str(),
              Fixed(us, 1).c_str(), Fixed(raw_us, 1).c_str(),
              Fixed(after.ok() ? after->rss_mib : 0, 1).c_str(),
              load.failed > 0 ? " first_failure=" : "", load.first_failure.c_str());
  std::fflush(stdout);
  return us;
}

// Figure B: what the router's TLS path costs HAProxy beyond terminating TLS in mode tcp.
void RunCpuFigure(const TlsBenchSetup& setup, const Flags& flags) {
  const pid_t router = setup.router.process->pid();
  const pid_t peer = setup.peer.process->pid();
  const int port = setup.router.rw_port;
  const std::vector<CpuTarget> targets = {
      {"peer_tls_direct", peer, TlsAttempt(setup.peer.rw_port, harness::TlsNegotiation::kDirect)},
      {"router_tls_direct", router, TlsAttempt(port, harness::TlsNegotiation::kDirect)},
      {"router_tls_sslrequest", router, TlsAttempt(port, harness::TlsNegotiation::kSslRequest)},
      {"router_plain", router, PlainAttempt(port)}};
  std::printf("router_tls_bench: B: HAProxy CPU per connection, %d connections (at most %lld s) "
              "x %d repeats, %d client threads, order alternated\n",
              flags.connections, static_cast<long long>(kLoopBudget.count() / 1000), kCpuRepeats,
              kLoopThreads);
  std::map<pid_t, double> idle = IdleCpuRates({router, peer});
  std::printf("router_tls_bench: B idle HAProxy CPU (taken out below): router %s us/s, peer %s "
              "us/s\n",
              Fixed(idle[router] * 1e6, 0).c_str(), Fixed(idle[peer] * 1e6, 0).c_str());
  std::map<std::string, std::vector<double>> samples;
  for (int repeat = 0; repeat < kCpuRepeats; ++repeat) {
    for (size_t i = 0; i < targets.size(); ++i) {
      const CpuTarget& target = targets[repeat % 2 == 0 ? i : targets.size() - 1 - i];
      samples[target.name].push_back(
          MeasureCpu(target, idle[target.haproxy_pid], flags, repeat + 1));
    }
  }
  std::map<std::string, double> median;
  for (const CpuTarget& target : targets) {
    median[target.name] = Median(samples[target.name]);
    std::printf("router_tls_bench: B median %-22s haproxy_cpu=%s us/conn\n", target.name.c_str(),
                Fixed(median[target.name], 1).c_str());
  }
  const double floor = median["peer_tls_direct"];
  for (const char* name : {"router_tls_direct", "router_tls_sslrequest"}) {
    std::printf("router_tls_bench: B %s adds %s us HAProxy CPU per connection over TLS "
                "termination in mode tcp (ratio %s)\n",
                name, Fixed(median[name] - floor, 1).c_str(),
                Fixed(floor > 0 ? median[name] / floor : 0, 2).c_str());
  }
  std::printf("router_tls_bench: B TLS through the router costs %s us more than clear text "
              "through it (direct TLS)\n",
              Fixed(median["router_tls_direct"] - median["router_plain"], 1).c_str());
}

int Run(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::printf("%s", kUsage);
    return 0;
  }
  Result<Flags> flags = ParseBenchFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "router_tls_bench: %s\n%s", flags.status().message().c_str(), kUsage);
    return 2;
  }
  Result<TlsBenchSetup> setup = StartTlsBenchSetup();
  if (!setup.ok()) {
    std::printf("router_tls_bench: could not start: %s\n", setup.status().ToString().c_str());
    return 1;
  }
  for (const BenchHaproxy* haproxy : {&setup->router, &setup->peer}) {
    (void)PinProcess(haproxy->process->pid(), kHaproxyCpu);
  }
  RunPgbenchFigure(*setup, *flags);
  RunCpuFigure(*setup, *flags);
  return 0;
}

}  // namespace
}  // namespace shardgate::bench

int main(int argc, char** argv) { return shardgate::bench::Run(argc, argv); }
