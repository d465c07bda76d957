// The reload peer: full render, write, master-CLI reload (see reload_peer.h).
#include "bench/reload_peer.h"

#include <chrono>
#include <thread>

#include "bench/master_cli.h"
#include "common/clock.h"
#include "common/file.h"
#include "haproxy/range_map.h"
#include "haproxy/runtime_socket.h"
#include "tests/harness/local_http.h"
#include "tests/harness/ports.h"
#include "tests/harness/stack.h"

namespace shardgate::bench {
namespace {

using std::chrono::milliseconds;

constexpr const char* kHaproxyBinary = "/usr/sbin/haproxy";
constexpr milliseconds kSocketTimeout{2000};
constexpr milliseconds kStartTimeout{20000};
constexpr milliseconds kReloadConfirm{1000};

}  // namespace

Result<std::unique_ptr<ReloadPeer>> ReloadPeer::Start(const std::filesystem::path& dir,
                                                      std::vector<haproxy::ShardSpec> shards,
                                                      controller::RuleSet rules) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) return Unavailable("cannot create " + dir.string() + ": " + error.message());
  haproxy::ConfigSpec spec;
  spec.socket_path = (dir / "haproxy.sock").string();
  spec.lua_dir = (harness::SourceDir() / "lua").string();
  spec.ranges_map_path = (dir / "shardgate_ranges.map").string();
  spec.cancel_map_path = (dir / "shardgate_cancel.map").string();
  spec.shards = std::move(shards);
  for (int* port : {&spec.rw_port, &spec.ro_port}) {
    ASSIGN_OR_RETURN(*port, harness::FreePort());
  }
  RETURN_IF_ERROR(haproxy::ValidateConfigSpec(spec));
  std::unique_ptr<ReloadPeer> peer(new ReloadPeer(dir, std::move(spec), std::move(rules)));
  RETURN_IF_ERROR(WriteFile(peer->spec_.cancel_map_path, ""));
  RETURN_IF_ERROR(peer->Render());
  RETURN_IF_ERROR(peer->Launch());
  return peer;
}

ReloadPeer::~ReloadPeer() { (void)Stop(); }

// What a consul-template run does: the whole configuration and the whole map file from the
// current state, each written to a temporary file and renamed into place.
Status ReloadPeer::Render() {
  const WallTime now = std::chrono::system_clock::now();
  controller::FlatMap flat = controller::Flatten(rules_.rules, now);
  RETURN_IF_ERROR(WriteFileAtomically(spec_.ranges_map_path,
                                      haproxy::RenderMapFile(flat.segments,
                                                             controller::MapVersion(rules_, now))));
  return WriteFileAtomically(dir_ / "haproxy.cfg", haproxy::RenderConfig(spec_));
}

Status ReloadPeer::Launch() {
  harness::ProcessOptions po;
  po.argv = {kHaproxyBinary,           "-W", "-S",
             master_socket().string(), "-f", (dir_ / "haproxy.cfg").string()};
  po.log_path = dir_ / "haproxy.log";
  ASSIGN_OR_RETURN(master_, harness::Process::Spawn(po));
  haproxy::UnixRuntimeSocket stats(spec_.socket_path, kSocketTimeout);
  return harness::WaitWhileRunning(*master_, "haproxy (reload peer)", po.log_path, kStartTimeout,
                                   [&]() -> Status {
                                     RETURN_IF_ERROR(stats.Execute("show info").status());
                                     if (!harness::TcpConnects(spec_.rw_port)) {
                                       return Unavailable("port not accepting yet");
                                     }
                                     return Status::Ok();
                                   });
}

Status ReloadPeer::ApplyRule(int64_t lo, int64_t hi, const std::string& shard) {
  controller::RoutingRule rule;
  rule.id = rules_.next_id++;
  rule.lo = lo;
  rule.hi = hi;
  rule.shard = shard;
  rule.created_at = std::chrono::system_clock::now();
  rules_.rules.push_back(rule);
  ++rules_.version;
  RETURN_IF_ERROR(Render());
  return Reload();
}

Status ReloadPeer::WaitIdle() {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (true) {
    Result<int> reloads = MasterReloads(master_socket().string(), kSocketTimeout);
    if (reloads.ok()) {
      reloads_ = *reloads;
      return Status::Ok();
    }
    if (std::chrono::steady_clock::now() >= deadline) return reloads.status();
    std::this_thread::sleep_for(milliseconds(2));
  }
}

// A reload command that reaches the master while it still finishes the previous reload can be
// lost with the connection, so the master's reload count confirms it; unconfirmed after
// kReloadConfirm, the command is sent again.
Status ReloadPeer::Reload() {
  const int before = reloads_;
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    // No answer comes: the connection ends when the master re-executes itself.
    (void)MasterCommand(master_socket().string(), "reload", kSocketTimeout);
    const auto resend = std::chrono::steady_clock::now() + kReloadConfirm;
    while (std::chrono::steady_clock::now() < resend) {
      Result<int> reloads = MasterReloads(master_socket().string(), kSocketTimeout);
      if (reloads.ok() && *reloads > before) {
        reloads_ = *reloads;
        return Status::Ok();
      }
      std::this_thread::sleep_for(milliseconds(2));
    }
    ++resent_;
  }
  return Timeout("the HAProxy master did not confirm a reload");
}

std::vector<pid_t> ReloadPeer::Workers() const {
  return master_ ? harness::ChildPids(master_->pid()) : std::vector<pid_t>{};
}

Result<bool> ReloadPeer::Stop() {
  if (!master_) return true;
  std::vector<pid_t> workers = Workers();
  Status stopped = master_->Stop(std::chrono::seconds(5));
  master_.reset();
  RETURN_IF_ERROR(stopped);
  bool all_gone = true;
  for (pid_t pid : workers) all_gone = harness::WaitPidGone(pid, milliseconds(2000)) && all_gone;
  return all_gone;
}

}  // namespace shardgate::bench
