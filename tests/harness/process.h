// Child processes for tests and the dev stack: spawn, signal, stop (TERM then KILL), wait; short
// commands.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace shardgate::harness {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

struct ProcessOptions {
  std::vector<std::string> argv;   // argv[0] is looked up in PATH when it has no '/'
  EnvVars env;                     // added to (and overriding) the parent's environment
  std::string user;                // run as this user (setgid/setuid after fork); empty: as we are
  std::filesystem::path log_path;  // stdout+stderr appended here; empty: /dev/null
  std::filesystem::path cwd;       // empty: the user's home when `user` is set, else unchanged
};

// One spawned program in its own process group. Not thread-safe. The destructor stops it
// (TERM to the group, KILL after a grace period), so a failing test leaves nothing behind.
class Process {
 public:
  static Result<std::unique_ptr<Process>> Spawn(const ProcessOptions& options);
  // Takes ownership of a child of this process that is the leader of its own process group.
  static std::unique_ptr<Process> Adopt(pid_t pid, std::string name);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }
  // True until the child has exited (reaps it if it has).
  bool IsRunning();
  // Sends `sig` to the whole process group.
  Status Signal(int sig);
  // TERM to the group, then KILL once `timeout` passed; waits until the child is reaped.
  Status Stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Waits up to `timeout` for the child to exit; returns its exit code (128+signal when killed).
  Result<int> Wait(std::chrono::milliseconds timeout);

 private:
  Process(pid_t pid, std::string name) : pid_(pid), name_(std::move(name)) {}
  bool Reap(int options);

  pid_t pid_;
  std::string name_;
  bool exited_ = false;
  int exit_code_ = -1;
};

struct CommandResult {
  int exit_code = -1;  // 128+signal when killed by a signal
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs a short command to completion, capturing stdout and stderr. Returns kTimeout (after
// killing its process group) when it takes longer than `timeout`; never hangs.
Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const EnvVars& env = {},
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30),
                                 const std::string& user = "");

// True while a process with this pid exists and is not a zombie (works for non-children too,
// e.g. a postmaster started by pg_ctl).
bool PidAlive(pid_t pid);

// The state letter of /proc/<pid>/stat ('R', 'S', 'T' stopped, 'Z' zombie, ...), '?' if gone.
char ProcessState(pid_t pid);

// Polls PidAlive until the pid is gone or `timeout` passed; returns whether it is gone.
bool WaitPidGone(pid_t pid, std::chrono::milliseconds timeout);

// Pids of the live direct children of `parent` (from /proc), for processes that put each child
// in its own session (PostgreSQL's backends) so a process-group signal misses them.
std::vector<pid_t> ChildPids(pid_t parent);

// "a b 'c d'": argv joined for messages and logs.
std::string JoinArgv(const std::vector<std::string>& argv);

// The last `lines` lines of a file (for error messages).
std::string TailOfFile(const std::filesystem::path& path, int lines);

// $SHARDGATE_BINARY_DIR/<relative>: a program of the build under test, e.g.
// "agent/shardgate-agent". Errors: kInvalidArgument when the variable is not set, kNotFound
// naming the path when the file does not exist.
Result<std::filesystem::path> BuildBinary(const std::filesystem::path& relative);

// Calls `probe` every 20 ms until it returns ok, `process` exits or `timeout` passes, so a
// program that exits at once (bad configuration, exit code 2) is reported at once. Errors:
// kUnavailable "<what> exited during start-up (exit code N)" or kTimeout "<what>: <probe's last
// error> (after T ms)", each followed by the last lines of `log_path` (when not empty).
Status WaitWhileRunning(Process& process, const std::string& what,
                        const std::filesystem::path& log_path, std::chrono::milliseconds timeout,
                        const std::function<Status()>& probe);

}  // namespace shardgate::harness
