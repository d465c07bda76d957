// PostgreSQL node lifecycle through initdb/pg_basebackup/pg_ctl as user postgres.
#include "tests/harness/pg_node.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "tests/harness/ports.h"
#include "tests/harness/process.h"
#include "tests/harness/psql_client.h"
#include "tests/harness/temp_dir.h"

namespace shardgate::harness {
namespace {

constexpr const char* kPgUser = "postgres";
constexpr auto kCommandTimeout = std::chrono::seconds(90);
constexpr auto kStreamingTimeout = std::chrono::seconds(60);

std::string Tool(const char* name) { return (PgBinDir() / name).string(); }

// Runs a PostgreSQL tool as postgres; a non-zero exit becomes kUnavailable with its output.
Status RunPgTool(const std::vector<std::string>& argv) {
  ASSIGN_OR_RETURN(CommandResult r, RunCommand(argv, {{"LC_ALL", "C"}}, kCommandTimeout, kPgUser));
  if (r.exit_code != 0) {
    return Unavailable(JoinArgv(argv) + " exited " + std::to_string(r.exit_code) + ": " + r.err +
                       r.out);
  }
  return Status::Ok();
}

Status AppendFile(const std::filesystem::path& path, const std::string& text, bool truncate) {
  std::ofstream out(path, truncate ? std::ios::trunc : std::ios::app);
  out << text;
  out.close();
  if (!out) return Unavailable("cannot write " + path.string());
  return Status::Ok();
}

std::string DirName(const std::string& cluster_name) {
  std::string out = cluster_name;
  for (char& c : out) {
    if (c == '/') c = '-';
  }
  return out;
}

// pg_ctl detaches the postmaster and exits, so the postmaster is reparented. Being a subreaper
// makes it our child, so we can reap it once it stopped instead of leaving a zombie behind
// when PID 1 does not reap (containers).
void BecomeSubreaper() {
  static const bool done = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
  (void)done;
}

// Waits until `pid` is gone (a zombie counts as gone) and reaps it if it is our child.
bool WaitGoneAndReap(pid_t pid, std::chrono::milliseconds timeout) {
  bool gone = WaitPidGone(pid, timeout);
  if (gone) waitpid(pid, nullptr, WNOHANG);
  return gone;
}

}  // namespace

std::string_view PgRoleName(PgRole role) {
  return role == PgRole::kPrimary ? "primary" : "replica";
}

std::filesystem::path PgBinDir() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path fixed = "/usr/lib/postgresql/15/bin";
    if (std::filesystem::exists(fixed / "pg_ctl")) return fixed;
    Result<CommandResult> r = RunCommand({"pg_config", "--bindir"}, {}, std::chrono::seconds(10));
    if (r.ok() && r->exit_code == 0) return std::filesystem::path(FirstLine(r->out));
    return fixed;
  }();
  return dir;
}

Result<std::unique_ptr<PgNode>> PgNode::Prepare(PgNodeSpec spec, PgRole role) {
  if (spec.name.empty() || spec.cluster_name.empty() || spec.base_dir.empty()) {
    return InvalidArgument("PgNodeSpec needs name, cluster_name and base_dir");
  }
  if (spec.port == 0) {
    ASSIGN_OR_RETURN(spec.port, FreePort());
  }
  std::filesystem::path dir = spec.base_dir / DirName(spec.cluster_name);
  RETURN_IF_ERROR(MakeOwnedDir(dir, kPgUser));
  if (spec.tls) {
    ASSIGN_OR_RETURN(spec.tls, CopyCertForUser(*spec.tls, dir / "tls", kPgUser));
  }
  return std::unique_ptr<PgNode>(new PgNode(std::move(spec), role, dir));
}

Result<std::unique_ptr<PgNode>> PgNode::StartPrimary(const PgNodeSpec& spec) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgNode> node, Prepare(spec, PgRole::kPrimary));
  PgNode& n = *node;
  Status st = RunPgTool({Tool("initdb"), "-D", n.data_dir().string(), "-A", "trust", "-U", kPgUser,
                         "--no-sync", "-E", "UTF8", "--locale=C"});
  if (st.ok()) st = n.WriteConfig();
  if (st.ok()) st = n.Start();
  RETURN_IF_ERROR(Annotate(st, n.cluster_name()));
  return node;
}

Result<std::unique_ptr<PgNode>> PgNode::StartReplica(PgNode& primary, const PgNodeSpec& spec) {
  ASSIGN_OR_RETURN(std::unique_ptr<PgNode> node, Prepare(spec, PgRole::kReplica));
  RETURN_IF_ERROR(Annotate(node->CloneFrom(primary), node->cluster_name()));
  return node;
}

Status PgNode::CloneFrom(PgNode& primary) {
  RETURN_IF_ERROR(RunPgTool(
      {Tool("pg_basebackup"), "-h", "127.0.0.1", "-p", std::to_string(primary.port()), "-U",
       kPgUser, "-D", data_dir().string(), "-R", "-X", "stream", "-c", "fast", "--no-sync"}));
  // The copied postgresql.conf carries the primary's port, socket and cluster_name; ours follow.
  RETURN_IF_ERROR(WriteConfig());
  RETURN_IF_ERROR(Start());
  RETURN_IF_ERROR(WaitForValue("select pg_is_in_recovery()", "t", kStreamingTimeout));
  return primary.WaitForValue(
      "select count(*) from pg_stat_replication where state = 'streaming' and "
      "application_name = '" +
          cluster_name() + "'",
      "1", kStreamingTimeout);
}

Status PgNode::RebuildAsReplica(PgNode& primary) {
  if (&primary == this) return InvalidArgument(cluster_name() + ": cannot replicate itself");
  RETURN_IF_ERROR(Stop(PgStopMode::kImmediate));
  std::error_code ec;
  std::filesystem::remove_all(data_dir(), ec);
  if (ec) return Internal(cluster_name() + ": cannot remove " + data_dir().string());
  role_ = PgRole::kReplica;
  return Annotate(CloneFrom(primary), cluster_name());
}

Status PgNode::WriteConfig() {
  // The walreceiver uses cluster_name as application_name, which is how the primary's
  // pg_stat_replication names this replica.
  std::ostringstream conf;
  conf << "\n# shardgate harness\n"
       << "listen_addresses = '127.0.0.1'\n"
       << "port = " << spec_.port << "\n"
       << "unix_socket_directories = '" << dir_.string() << "'\n"
       << "cluster_name = '" << spec_.cluster_name << "'\n"
       << "wal_level = replica\n"
       << "max_wal_senders = 10\n"
       << "hot_standby = on\n"
       << "fsync = off\n"
       << "synchronous_commit = off\n"
       << "full_page_writes = off\n"
       << "shared_buffers = 16MB\n"
       << "max_connections = 50\n"
       << "wal_receiver_status_interval = 1s\n"
       << "log_line_prefix = '%m [%p] %q%u@%d '\n";
  if (spec_.tls) {
    conf << "ssl = on\n"
         << "ssl_cert_file = '" << spec_.tls->cert.string() << "'\n"
         << "ssl_key_file = '" << spec_.tls->key.string() << "'\n";
  }
  RETURN_IF_ERROR(AppendFile(data_dir() / "postgresql.conf", conf.str(), /*truncate=*/false));
  return AppendFile(data_dir() / "pg_hba.conf",
                    "local all all trust\n"
                    "local replication all trust\n"
                    "host all all 127.0.0.1/32 trust\n"
                    "host replication all 127.0.0.1/32 trust\n",
                    /*truncate=*/true);
}

Status PgNode::ReadPid() {
  std::ifstream in(data_dir() / "postmaster.pid");
  long pid = 0;
  if (!(in >> pid) || pid <= 0) return Internal(cluster_name() + ": no pid in postmaster.pid");
  pid_ = static_cast<pid_t>(pid);
  return Status::Ok();
}

Status PgNode::Start() {
  if (running_) return Status::Ok();
  BecomeSubreaper();
  RETURN_IF_ERROR(RunPgTool({Tool("pg_ctl"), "-D", data_dir().string(), "-l", log_path().string(),
                             "-w", "-t", "60", "start"}));
  RETURN_IF_ERROR(ReadPid());
  running_ = true;
  frozen_ = false;
  return Status::Ok();
}

Status PgNode::Stop(PgStopMode mode) {
  if (!running_) return Status::Ok();
  (void)Thaw();
  const char* m = mode == PgStopMode::kFast ? "fast" : "immediate";
  Status st = RunPgTool(
      {Tool("pg_ctl"), "-D", data_dir().string(), "-m", m, "-w", "-t", "30", "stop"});
  if (!st.ok()) return KillHard();
  running_ = false;
  return WaitGoneAndReap(pid_, std::chrono::seconds(10)) ? Status::Ok() : KillHard();
}

// Last resort: KILL the postmaster and its children (each backend runs in its own session, so
// a process-group signal would miss them).
Status PgNode::KillHard() {
  std::vector<pid_t> children = pid_ > 0 ? ChildPids(pid_) : std::vector<pid_t>{};
  if (pid_ > 0) kill(pid_, SIGKILL);
  for (pid_t child : children) {
    kill(child, SIGKILL);
    kill(child, SIGCONT);
  }
  running_ = false;
  frozen_ = false;
  if (pid_ > 0 && !WaitGoneAndReap(pid_, std::chrono::seconds(10))) {
    return Internal(cluster_name() + ": postmaster " + std::to_string(pid_) + " survived SIGKILL");
  }
  // Orphaned backends were reparented to us (subreaper): reap them once gone.
  for (pid_t child : children) (void)WaitGoneAndReap(child, std::chrono::seconds(5));
  return Status::Ok();
}

PgNode::~PgNode() {
  if (!running_) return;
  (void)Thaw();
  kill(pid_, SIGQUIT);  // immediate shutdown: the data is about to be deleted anyway
  if (WaitGoneAndReap(pid_, std::chrono::seconds(10))) {
    running_ = false;
    return;
  }
  (void)KillHard();
}

Status PgNode::Promote() {
  if (!running_) return Unavailable(cluster_name() + " is not running");
  RETURN_IF_ERROR(
      RunPgTool({Tool("pg_ctl"), "-D", data_dir().string(), "-w", "-t", "60", "promote"}));
  role_ = PgRole::kPrimary;
  return Status::Ok();
}

Status PgNode::Kill() {
  if (!running_) return Unavailable(cluster_name() + " is not running");
  return KillHard();
}

Status PgNode::Freeze() {
  if (!running_) return Unavailable(cluster_name() + " is not running");
  // The postmaster first, so it forks no new child while we stop the existing ones.
  if (kill(pid_, SIGSTOP) != 0) return Internal(cluster_name() + ": SIGSTOP failed");
  std::vector<pid_t> pids = ChildPids(pid_);
  for (pid_t child : pids) kill(child, SIGSTOP);
  frozen_ = true;
  // Signals are delivered asynchronously: return once every process is really stopped.
  pids.push_back(pid_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (pid_t pid : pids) {
    while (ProcessState(pid) != 'T' && ProcessState(pid) != '?') {
      if (std::chrono::steady_clock::now() >= deadline) {
        return Timeout(cluster_name() + ": pid " + std::to_string(pid) + " did not stop");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  return Status::Ok();
}

Status PgNode::Thaw() {
  if (!frozen_) return Status::Ok();
  for (pid_t child : ChildPids(pid_)) kill(child, SIGCONT);
  if (kill(pid_, SIGCONT) != 0) return Internal(cluster_name() + ": SIGCONT failed");
  frozen_ = false;
  return Status::Ok();
}

Result<std::string> PgNode::Query(const std::string& sql, std::chrono::milliseconds timeout) {
  PsqlArgs args;
  args.port = spec_.port;
  args.sslmode = "disable";
  args.sql = sql;
  args.timeout = timeout;
  ASSIGN_OR_RETURN(CommandResult r, Annotate(Psql(args), cluster_name()));
  if (r.exit_code != 0) {
    // libpq's own connect_timeout may fire just before our deadline: the same outcome.
    bool timed_out = r.err.find("timeout expired") != std::string::npos;
    return Status(timed_out ? Code::kTimeout : Code::kUnavailable, cluster_name() + ": " + r.err);
  }
  return FirstLine(r.out);
}

Status PgNode::WaitForValue(const std::string& sql, const std::string& expected,
                            std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (true) {
    Result<std::string> v = Query(sql, std::chrono::seconds(5));
    if (v.ok() && *v == expected) return Status::Ok();
    last = v.ok() ? "'" + *v + "'" : v.status().ToString();
    if (std::chrono::steady_clock::now() >= deadline) {
      return Timeout("waited for '" + expected + "' from `" + sql + "`, last: " + last);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace shardgate::harness
