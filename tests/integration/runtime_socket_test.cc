// The stats socket against a real HAProxy: a kept interactive connection gets the same replies
// as a connection per command, outlives HAProxy closing it (idle timeout, restart, reload), and
// fails fast when HAProxy is gone or stuck.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/numbers.h"
#include "haproxy/runtime_client.h"
#include "haproxy/runtime_socket.h"
#include "tests/harness/haproxy_process.h"
#include "tests/harness/ports.h"
#include "tests/harness/process.h"
#include "tests/harness/temp_dir.h"

namespace shardgate::haproxy {
namespace {

using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr milliseconds kTimeout{2000};
constexpr int kMapEntries = 5000;  // `show map` then takes several reads

// Only HAProxy closes a connection kept this long during a test.
ConnectionPolicy LongLived() { return ConnectionPolicy::KeepAlive(std::chrono::minutes(10)); }

// Three backends of three servers (never checked), a map in use, and a short `stats timeout` so
// that HAProxy closes an idle CLI connection after a second.
std::string ConfigText(const std::string& socket_path, const std::string& map_path, int port) {
  std::string cfg =
      "global\n  stats socket " + socket_path + " mode 600 level admin\n  stats timeout 1s\n" +
      "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 10s\n  timeout server 10s\n" +
      "frontend fe\n  bind 127.0.0.1:" + std::to_string(port) + "\n" +
      "  tcp-request content set-var(txn.shard) req.payload(0,4),map(" + map_path + ")\n" +
      "  default_backend be_1\n";
  for (int b = 1; b <= 3; ++b) {
    cfg += "backend be_" + std::to_string(b) + "\n";
    for (int s = 1; s <= 3; ++s) {
      cfg += "  server s" + std::to_string(s) + " 127.0.0.1:" + std::to_string(20000 + 10 * b + s) +
             " weight " + std::to_string(10 * s) + "\n";
    }
  }
  return cfg;
}

struct Haproxy {
  std::unique_ptr<harness::TempDir> dir;
  std::unique_ptr<harness::HaproxyProcess> process;
  std::string socket_path;
  std::string map_path;
};

// An HAProxy of ConfigText in a new directory; `socket_path` empty: one in that directory.
Haproxy StartHaproxy(std::string socket_path = "") {
  Haproxy h;
  Result<std::unique_ptr<harness::TempDir>> dir = harness::TempDir::Create("sg-runtime-socket");
  REQUIRE(dir.ok());
  h.dir = std::move(*dir);
  h.socket_path = socket_path.empty() ? (h.dir->path() / "admin.sock").string() : socket_path;
  h.map_path = (h.dir->path() / "keys.map").string();
  std::string map;
  for (int i = 0; i < kMapEntries; ++i)
    map += "k" + std::to_string(i) + " v" + std::to_string(i) + "\n";
  Result<int> port = harness::FreePort();
  REQUIRE(port.ok());
  harness::HaproxyOptions options;
  options.dir = h.dir->path();
  options.config_text = ConfigText(h.socket_path, h.map_path, *port);
  options.files = {{h.map_path, map}};
  options.socket_path = h.socket_path;
  Result<std::unique_ptr<harness::HaproxyProcess>> process = harness::HaproxyProcess::Start(
      std::move(options));
  REQUIRE_MESSAGE(process.ok(), process.status().ToString());
  h.process = std::move(*process);
  return h;
}

// A command of every kind of reply: multi-line, empty, error, payload.
std::string CommandNumber(int i, const std::string& map_path) {
  switch (i % 10) {
    case 0: return "show servers state";
    case 1: return "show servers state be_2";
    case 2: return "show map " + map_path;
    case 3: return "show backend";
    case 4: return "set server be_1/s2 weight " + std::to_string(i % 200);
    case 5: return "set server be_1/gone weight 1";
    case 6: return "get map " + map_path + " k" + std::to_string(i);
    case 7: return "frobnicate the socket";
    case 8: return "set map " + map_path + " k3 v" + std::to_string(i);
    default: return "add map " + map_path + " <<\nextra" + std::to_string(i) + " x\n";
  }
}

Result<ProcessInfo> ShowInfo(RuntimeSocket& socket) { return RuntimeClient(socket).ShowInfo(); }

// HAProxy's count of connections accepted so far (the CLI's included).
uint64_t CumConns(RuntimeSocket& socket) {
  Result<std::string> info = socket.Execute("show info");
  REQUIRE_MESSAGE(info.ok(), info.status().ToString());
  size_t at = info->find("\nCumConns: ");
  REQUIRE(at != std::string::npos);
  at += 11;
  uint64_t n = 0;
  REQUIRE(ParseInteger(info->substr(at, info->find('\n', at) - at), &n));
  return n;
}

TEST_CASE("500 commands over one kept connection get the replies a connection per command gets") {
  Haproxy h = StartHaproxy();
  UnixRuntimeSocket one_shot(h.socket_path, kTimeout);
  UnixRuntimeSocket kept(h.socket_path, kTimeout, LongLived());
  const uint64_t conns_before = CumConns(kept);
  for (int i = 0; i < 500; ++i) {
    const std::string command = CommandNumber(i, h.map_path);
    CAPTURE(command);
    // A reply that ages (show servers state counts seconds) equals the one before or after.
    Result<std::string> before = one_shot.Execute(command);
    Result<std::string> reply = kept.Execute(command);
    Result<std::string> after = one_shot.Execute(command);
    REQUIRE_MESSAGE(reply.ok(), reply.status().ToString());
    REQUIRE(before.ok());
    REQUIRE(after.ok());
    CHECK((*reply == *before || *reply == *after));
  }
  // Every connection HAProxy accepted meanwhile was one of the one-shot ones.
  CHECK(CumConns(kept) - conns_before == 2 * 500);
}

TEST_CASE(
    "a kept connection HAProxy closed while it was idle is replaced before the next command") {
  Haproxy h = StartHaproxy();
  UnixRuntimeSocket one_shot(h.socket_path, kTimeout);
  UnixRuntimeSocket kept(h.socket_path, kTimeout, LongLived());
  // While no other client is connected, the kept connection's session is the only one.
  Result<std::string> sessions = kept.Execute("show sess");
  REQUIRE(sessions.ok());
  REQUIRE(std::count(sessions->begin(), sessions->end(), '\n') == 2);
  const std::string session = sessions->substr(0, sessions->find(':'));
  const uint64_t conns = CumConns(kept);
  REQUIRE(one_shot.Execute("shutdown session " + session).ok());
  uint64_t one_shot_conns = 1;
  const auto deadline = SteadyClock::now() + kTimeout;
  for (;;) {
    Result<std::string> listed = one_shot.Execute("show sess");
    ++one_shot_conns;
    REQUIRE(listed.ok());
    if (listed->find(session + ":") == std::string::npos) break;
    REQUIRE(SteadyClock::now() < deadline);
  }
  // HAProxy accepted the one-shot connections and one new kept connection.
  CHECK(CumConns(kept) == conns + one_shot_conns + 1);
}

TEST_CASE("after an idle period longer than stats timeout the next command works") {
  Haproxy h = StartHaproxy();
  UnixRuntimeSocket kept(h.socket_path, kTimeout, LongLived());
  const uint64_t conns = CumConns(kept);
  std::this_thread::sleep_for(milliseconds(1500));  // `stats timeout 1s`
  Result<std::string> backends = kept.Execute("show backend");
  REQUIRE_MESSAGE(backends.ok(), backends.status().ToString());
  CHECK(*backends == "# name\nbe_1\nbe_2\nbe_3\n\n");
  // HAProxy 2.6.12 closes an idle CLI connection at `stats timeout` only now and then (it does
  // not always arm the timeout after a reply), so the command went on the same connection or
  // on one new one.
  CHECK(CumConns(kept) - conns <= 1);
}

TEST_CASE("a command after HAProxy restarted between two commands reaches the new process") {
  Haproxy h = StartHaproxy();
  UnixRuntimeSocket kept(h.socket_path, kTimeout, LongLived());
  Result<ProcessInfo> first = ShowInfo(kept);
  REQUIRE(first.ok());
  REQUIRE(h.process->Restart().ok());
  Result<ProcessInfo> second = ShowInfo(kept);
  REQUIRE_MESSAGE(second.ok(), second.status().ToString());
  CHECK(second->pid != first->pid);
  CHECK(second->pid == h.process->pid());
}

TEST_CASE("a command to a stopped HAProxy fails at once as unavailable, naming the socket") {
  Haproxy h = StartHaproxy();
  UnixRuntimeSocket kept(h.socket_path, kTimeout, ConnectionPolicy::KeepAlive());
  REQUIRE(kept.Execute("show backend").ok());
  REQUIRE(h.process->Stop().ok());
  for (int attempt = 0; attempt < 2; ++attempt) {
    const auto start = SteadyClock::now();
    Result<std::string> reply = kept.Execute("show backend");
    CHECK(reply.status().code() == Code::kUnavailable);
    CHECK(reply.status().message().find(h.socket_path) != std::string::npos);
    CHECK(SteadyClock::now() - start < kTimeout / 2);
  }
}

TEST_CASE("a timeout closes the kept connection, so a late reply never answers the next command") {
  Haproxy h = StartHaproxy();
  UnixRuntimeSocket kept(h.socket_path, milliseconds(300), LongLived());
  REQUIRE(kept.Execute("show backend").ok());
  REQUIRE(kill(h.process->pid(), SIGSTOP) == 0);
  const auto deadline = SteadyClock::now() + kTimeout;
  while (harness::ProcessState(h.process->pid()) != 'T' && SteadyClock::now() < deadline) {
    std::this_thread::yield();
  }
  REQUIRE(harness::ProcessState(h.process->pid()) == 'T');
  Result<std::string> stuck = kept.Execute("show servers state");
  REQUIRE(kill(h.process->pid(), SIGCONT) == 0);
  CHECK(stuck.status().code() == Code::kTimeout);
  Result<std::string> backends = kept.Execute("show backend");
  REQUIRE_MESSAGE(backends.ok(), backends.status().ToString());
  CHECK(*backends == "# name\nbe_1\nbe_2\nbe_3\n\n");
}

TEST_CASE("once HAProxy reloads, a kept connection reaches the new process within its max age") {
  // A soft-stopping HAProxy (SIGUSR1, as a reload does to the old process) keeps serving a CLI
  // connection it accepted for as long as commands keep coming; only the age bound moves on.
  Haproxy old_process = StartHaproxy();
  UnixRuntimeSocket kept(old_process.socket_path, kTimeout,
                         ConnectionPolicy::KeepAlive(milliseconds(300)));
  Result<ProcessInfo> old_info = ShowInfo(kept);
  REQUIRE(old_info.ok());
  REQUIRE(kill(old_process.process->pid(), SIGUSR1) == 0);
  Haproxy new_process = StartHaproxy(old_process.socket_path);
  const auto deadline = SteadyClock::now() + std::chrono::seconds(3);
  Result<ProcessInfo> info = ShowInfo(kept);
  while (info.ok() && info->pid != new_process.process->pid() && SteadyClock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(50));
    info = ShowInfo(kept);
  }
  REQUIRE_MESSAGE(info.ok(), info.status().ToString());
  CHECK(info->pid == new_process.process->pid());
}

}  // namespace
}  // namespace shardgate::haproxy
