// PgBouncerProcess: config file, foreground start as postgres, readiness via the admin console.
#include "tests/harness/pgbouncer_process.h"

#include <thread>

#include "common/file.h"
#include "tests/harness/haproxy_process.h"
#include "tests/harness/ports.h"
#include "tests/harness/psql_client.h"
#include "tests/harness/temp_dir.h"

namespace shardgate::harness {
namespace {

constexpr const char* kUser = "postgres";  // PgBouncer refuses to run as root
constexpr int kLogTailLines = 20;

}  // namespace

std::filesystem::path PgBouncerBinary() {
  std::filesystem::path debian = "/usr/sbin/pgbouncer";
  return std::filesystem::exists(debian) ? debian : std::filesystem::path("pgbouncer");
}

Result<std::unique_ptr<PgBouncerProcess>> PgBouncerProcess::Start(PgBouncerOptions options) {
  if (options.dir.empty() || options.pg_port <= 0) {
    return InvalidArgument("PgBouncerOptions needs dir and pg_port");
  }
  if (options.port == 0) {
    ASSIGN_OR_RETURN(options.port, FreePort());
  }
  std::unique_ptr<PgBouncerProcess> bouncer(new PgBouncerProcess(std::move(options)));
  const PgBouncerOptions& o = bouncer->options_;
  RETURN_IF_ERROR(MakeOwnedDir(o.dir, kUser));
  RETURN_IF_ERROR(bouncer->WriteConfig());
  ProcessOptions p;
  p.argv = {PgBouncerBinary().string(), (o.dir / "pgbouncer.ini").string()};
  p.user = kUser;
  p.log_path = o.dir / "pgbouncer.log";
  ASSIGN_OR_RETURN(bouncer->process_, Process::Spawn(p));
  Status st = bouncer->WaitReady();
  if (!st.ok()) {
    return Status(st.code(), st.message() + "\n--- pgbouncer.log ---\n" +
                                 TailOfFile(o.dir / "pgbouncer.log", kLogTailLines));
  }
  return bouncer;
}

PgBouncerProcess::~PgBouncerProcess() { (void)Stop(); }

Status PgBouncerProcess::WriteConfig() const {
  const PgBouncerOptions& o = options_;
  // auth_type trust still requires the user to be listed in auth_file.
  RETURN_IF_ERROR(WriteFile(o.dir / "userlist.txt", std::string("\"") + kUser + "\" \"\"\n"));
  std::string ini = "[databases]\n" + o.database +
                    " = host=127.0.0.1 port=" + std::to_string(o.pg_port) +
                    " dbname=" + o.database +
                    "\n"
                    "[pgbouncer]\n"
                    "listen_addr = 127.0.0.1\n"
                    "listen_port = " +
                    std::to_string(o.port) +
                    "\n"
                    "unix_socket_dir =\n"  // empty: TCP only, nothing left in /tmp
                    "auth_type = trust\n"
                    "auth_file = " +
                    (o.dir / "userlist.txt").string() +
                    "\n"
                    "admin_users = " +
                    kUser +
                    "\n"
                    "pool_mode = session\n"
                    "default_pool_size = " +
                    std::to_string(o.pool_size) +
                    "\n"
                    "min_pool_size = 0\n"
                    "reserve_pool_size = 0\n"
                    "max_client_conn = 100\n"
                    "server_login_retry = 1\n";
  return WriteFile(o.dir / "pgbouncer.ini", ini);
}

Status PgBouncerProcess::WaitReady() {
  auto deadline = std::chrono::steady_clock::now() + options_.ready_timeout;
  Status last = Unavailable("not tried");
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->IsRunning()) return Unavailable("pgbouncer exited during start-up");
    auto version = Admin("SHOW VERSION");
    if (version.ok() && version->find("PgBouncer") != std::string::npos) return Status::Ok();
    last = version.ok() ? Unavailable("SHOW VERSION said: " + *version) : version.status();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return Timeout("pgbouncer on 127.0.0.1:" + std::to_string(options_.port) +
                 " did not answer SHOW VERSION: " + last.ToString());
}

std::string PgBouncerProcess::AdminConninfo() const {
  return "host=127.0.0.1 port=" + std::to_string(options_.port) + " user=" + kUser +
         " dbname=pgbouncer";
}

Result<std::string> PgBouncerProcess::Admin(const std::string& command) {
  PsqlArgs args;
  args.port = options_.port;
  args.user = kUser;
  args.db = "pgbouncer";
  args.sql = command;
  args.timeout = std::chrono::seconds(5);
  ASSIGN_OR_RETURN(auto run, Psql(args));
  if (run.exit_code != 0) return Unavailable("psql " + command + ": " + run.err);
  return run.out;
}

Status PgBouncerProcess::Stop() {
  if (!process_) return Status::Ok();
  Status st = process_->Stop(std::chrono::seconds(5));
  process_.reset();
  return st;
}

}  // namespace shardgate::harness
