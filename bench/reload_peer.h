// The admin bench's peer: a routing change made the way consul-template users make it. HAProxy
// runs in master-worker mode; every change renders the whole configuration (servers and the
// range map file the Lua router loads) from the rule set, writes both and asks the master for
// a hitless reload on its CLI. Old workers keep serving the sessions they hold.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/status.h"
#include "controller/routing_rules.h"
#include "haproxy/config.h"
#include "tests/harness/process.h"

namespace shardgate::bench {

// Not thread-safe. The destructor stops the master and every worker it left (one process group).
class ReloadPeer {
 public:
  // Renders and writes the configuration for `shards` (servers static) and the map of `rules`
  // under `dir`, starts `haproxy -W -S <dir>/master.sock -f <dir>/haproxy.cfg` and waits until
  // the worker answers on its stats socket and the read-write port accepts.
  static Result<std::unique_ptr<ReloadPeer>> Start(const std::filesystem::path& dir,
                                                   std::vector<haproxy::ShardSpec> shards,
                                                   controller::RuleSet rules);
  ~ReloadPeer();
  ReloadPeer(const ReloadPeer&) = delete;
  ReloadPeer& operator=(const ReloadPeer&) = delete;

  // Waits until the master answers on its CLI (it does not while it reloads) and notes its
  // reload count. Call before ApplyRule.
  Status WaitIdle();
  // Adds a rule sending lo..hi to `shard`, renders and writes the configuration and the map
  // file, and sends `reload` to the master CLI; returns once the master's reload count shows it
  // took the command (sent again when not confirmed within a second; see resent()).
  Status ApplyRule(int64_t lo, int64_t hi, const std::string& shard);
  // How many reload commands had to be sent again.
  int resent() const { return resent_; }

  int rw_port() const { return spec_.rw_port; }
  pid_t master_pid() const { return master_ ? master_->pid() : 0; }
  // The master's live children: the current worker and old workers still serving sessions.
  std::vector<pid_t> Workers() const;
  // TERM to the group (KILL after a grace period); true when no worker pid is left afterwards.
  Result<bool> Stop();

 private:
  ReloadPeer(std::filesystem::path dir, haproxy::ConfigSpec spec, controller::RuleSet rules)
      : dir_(std::move(dir)), spec_(std::move(spec)), rules_(std::move(rules)) {}
  Status Render();
  Status Launch();
  Status Reload();
  std::filesystem::path master_socket() const { return dir_ / "master.sock"; }

  std::filesystem::path dir_;
  haproxy::ConfigSpec spec_;
  controller::RuleSet rules_;
  std::unique_ptr<harness::Process> master_;
  int reloads_ = 0;  // the master's reload count after the last confirmed reload
  int resent_ = 0;
};

}  // namespace shardgate::bench
