// One PostgreSQL 15 node (primary or streaming replica) run as user postgres in a temp directory.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "tests/harness/test_certs.h"

namespace shardgate::harness {

enum class PgRole { kPrimary, kReplica };
// "primary" / "replica": the words used in stack.env and test output.
std::string_view PgRoleName(PgRole role);

enum class PgStopMode { kFast, kImmediate };

struct PgNodeSpec {
  std::string name;                // node name within its shard, e.g. "n1"
  std::string cluster_name;        // PostgreSQL cluster_name, "<shard>/<node>"
  std::filesystem::path base_dir;  // the node lives in <base_dir>/<cluster_name with '-' for '/'>
  int port = 0;                    // 0: a FreePort()
  // ssl = on with this certificate and key. The node copies them into <dir>/tls, owned by
  // postgres (key 0600), since PostgreSQL refuses a key it does not own. Clear-text connections
  // stay allowed (pg_hba `host`). nullopt: ssl off.
  std::optional<IssuedCert> tls;
};

// Lifecycle of one node. Not thread-safe; distinct nodes may be driven from distinct threads.
// The destructor stops the node immediately (even when frozen), killing the postmaster and its
// children if they do not go, so nothing outlives a failed test.
class PgNode {
 public:
  // initdb, configure (127.0.0.1 only, trust incl. replication, cluster_name, fsync off) and
  // `pg_ctl -w start`.
  static Result<std::unique_ptr<PgNode>> StartPrimary(const PgNodeSpec& spec);
  // pg_basebackup -R -X stream from `primary`, start, and wait until it is in recovery and the
  // primary's pg_stat_replication shows it streaming. REQUIRES: primary is running.
  static Result<std::unique_ptr<PgNode>> StartReplica(PgNode& primary, const PgNodeSpec& spec);
  ~PgNode();
  PgNode(const PgNode&) = delete;
  PgNode& operator=(const PgNode&) = delete;

  Status Stop(PgStopMode mode = PgStopMode::kFast);
  // Starts a stopped node again (same port and data).
  Status Start();
  // pg_ctl promote -w: the replica leaves recovery and becomes a primary on a new timeline.
  Status Promote();
  // SIGKILL to the postmaster and all its children at once, like a crashed host: no shutdown
  // checkpoint, clients see their connections reset. Returns once every process is gone.
  Status Kill();
  // Makes this node a streaming replica of `primary` again: stops it (immediately) if it runs,
  // removes its data directory, then pg_basebackup, start and wait for streaming as
  // StartReplica does; same port and directory. REQUIRES: primary is running and is not this.
  Status RebuildAsReplica(PgNode& primary);
  // SIGSTOP / SIGCONT the postmaster and all its children: the node accepts TCP connections
  // but never answers, like a hung host.
  Status Freeze();
  Status Thaw();
  // The first value of the first row (psql -XAtq), kUnavailable when psql failed, kTimeout when
  // no answer came within `timeout`.
  Result<std::string> Query(const std::string& sql,
                            std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Polls Query(sql) until it returns `expected` or `timeout` passes.
  Status WaitForValue(const std::string& sql, const std::string& expected,
                      std::chrono::milliseconds timeout);

  const std::string& name() const { return spec_.name; }
  const std::string& cluster_name() const { return spec_.cluster_name; }
  int port() const { return spec_.port; }
  PgRole role() const { return role_; }
  // The postmaster's pid while running, else 0.
  pid_t pid() const { return running_ ? pid_ : 0; }
  bool frozen() const { return frozen_; }
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path data_dir() const { return dir_ / "data"; }
  std::filesystem::path log_path() const { return dir_ / "postgresql.log"; }
  // The node's own copies of PgNodeSpec::tls (same serial); nullopt when ssl is off.
  const std::optional<IssuedCert>& tls() const { return spec_.tls; }

 private:
  PgNode(PgNodeSpec spec, PgRole role, std::filesystem::path dir)
      : spec_(std::move(spec)), role_(role), dir_(std::move(dir)) {}
  Status WriteConfig();
  Status ReadPid();
  Status KillHard();
  // pg_basebackup from `primary` into an empty data dir, start, wait until streaming.
  Status CloneFrom(PgNode& primary);
  static Result<std::unique_ptr<PgNode>> Prepare(PgNodeSpec spec, PgRole role);

  PgNodeSpec spec_;
  PgRole role_;
  std::filesystem::path dir_;
  pid_t pid_ = 0;
  bool running_ = false;
  bool frozen_ = false;
};

// Directory of initdb, pg_ctl, pg_basebackup: /usr/lib/postgresql/15/bin or `pg_config --bindir`.
std::filesystem::path PgBinDir();

}  // namespace shardgate::harness
