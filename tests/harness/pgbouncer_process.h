// PgBouncerProcess: a real PgBouncer in front of one PostgreSQL node, run as user postgres on a
// free 127.0.0.1 port, with its admin console (dbname=pgbouncer) open to user postgres.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"
#include "tests/harness/process.h"

namespace shardgate::harness {

struct PgBouncerOptions {
  std::filesystem::path dir;          // pgbouncer.ini, userlist.txt and pgbouncer.log go here
  int pg_port = 0;                    // the PostgreSQL node on 127.0.0.1 (user postgres, trust)
  std::string database = "postgres";  // the one pooled database, same name on both sides
  int pool_size = 1;                  // default_pool_size: server connections per pool
  int port = 0;                       // 0: a FreePort()
  std::chrono::milliseconds ready_timeout = std::chrono::seconds(10);
};

// Not thread-safe. Session pooling, auth_type trust (user postgres in userlist.txt), no unix
// socket. The destructor stops PgBouncer (TERM, then KILL).
class PgBouncerProcess {
 public:
  // Writes the config into options.dir (created, owned by postgres), starts
  // `pgbouncer <ini>` in the foreground as postgres and waits until the admin console answers
  // `SHOW VERSION` through psql. On failure the error carries the tail of PgBouncer's log.
  static Result<std::unique_ptr<PgBouncerProcess>> Start(PgBouncerOptions options);
  ~PgBouncerProcess();
  PgBouncerProcess(const PgBouncerProcess&) = delete;
  PgBouncerProcess& operator=(const PgBouncerProcess&) = delete;

  int port() const { return options_.port; }
  pid_t pid() const { return process_ ? process_->pid() : 0; }
  // libpq conninfo of the admin console, what the agent's pgbouncer_conninfo holds.
  std::string AdminConninfo() const;
  // One admin console command through psql (-XAtq, fields separated by '|'), its stdout.
  Result<std::string> Admin(const std::string& command);
  Status Stop();

 private:
  explicit PgBouncerProcess(PgBouncerOptions options) : options_(std::move(options)) {}
  Status WriteConfig() const;
  Status WaitReady();

  PgBouncerOptions options_;
  std::unique_ptr<Process> process_;
};

// /usr/sbin/pgbouncer (Debian), else `pgbouncer` from PATH.
std::filesystem::path PgBouncerBinary();

}  // namespace shardgate::harness
