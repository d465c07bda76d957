// Child processes: fork/exec into an own process group, optional user switch, logs to a file.
#include "tests/harness/process.h"

#include <fcntl.h>
#include <grp.h>
#include <linux/close_range.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

extern char** environ;

namespace shardgate::harness {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kPollInterval = std::chrono::milliseconds(10);

// Everything the child needs, prepared before fork() because only async-signal-safe calls are
// allowed between fork() and exec() in a multithreaded program.
struct ExecPlan {
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  std::string cwd;
};

Result<ExecPlan> MakePlan(const std::vector<std::string>& argv, const EnvVars& extra,
                          const std::string& user, const std::filesystem::path& cwd) {
  if (argv.empty()) return InvalidArgument("empty argv");
  ExecPlan plan;
  plan.argv = argv;
  plan.cwd = cwd.string();
  EnvVars overrides = extra;
  if (!user.empty()) {
    struct passwd pwd {};
    struct passwd* pw = nullptr;
    char buf[4096];
    if (getpwnam_r(user.c_str(), &pwd, buf, sizeof buf, &pw) != 0 || pw == nullptr) {
      return NotFound("no such user: " + user);
    }
    plan.uid = pw->pw_uid;
    plan.gid = pw->pw_gid;
    if (plan.cwd.empty()) plan.cwd = pw->pw_dir;
    overrides.insert(overrides.begin(), {{"HOME", pw->pw_dir}, {"USER", user}, {"LOGNAME", user}});
  }
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string_view key = entry.substr(0, entry.find('='));
    bool overridden = false;
    for (const auto& [k, v] : overrides) overridden = overridden || k == key;
    if (!overridden) plan.env.emplace_back(entry);
  }
  // A name given twice takes its last value (a caller's variable over a helper's default):
  // the C library's getenv would otherwise return the first.
  for (size_t i = 0; i < overrides.size(); ++i) {
    const std::string& key = overrides[i].first;
    bool later = false;
    for (size_t j = i + 1; j < overrides.size(); ++j) later = later || overrides[j].first == key;
    if (!later) plan.env.push_back(key + "=" + overrides[i].second);
  }
  return plan;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Child side: async-signal-safe calls only. Reports a failure's errno through `err_fd`.
[[noreturn]] void ExecChild(ExecPlan& plan, char** argv, char** envp, int out_fd, int err_fd_out,
                            int report_fd) {
  setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGINT, SIGTERM, SIGPIPE, SIGHUP, SIGQUIT, SIGCHLD}) signal(sig, SIG_DFL);
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, 0);
  dup2(out_fd, 1);
  dup2(err_fd_out, 2);
  syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  int err = 0;
  if (plan.gid && (setgroups(1, &*plan.gid) != 0 || setgid(*plan.gid) != 0)) err = errno;
  if (err == 0 && plan.uid && setuid(*plan.uid) != 0) err = errno;
  if (err == 0 && !plan.cwd.empty() && chdir(plan.cwd.c_str()) != 0) err = errno;
  if (err == 0) {
    execvpe(argv[0], argv, envp);
    err = errno;
  }
  (void)!write(report_fd, &err, sizeof err);
  _exit(127);
}

// Forks and execs; returns the child's pid once exec succeeded (or the reason it did not).
Result<pid_t> ForkExec(ExecPlan plan, int out_fd, int err_fd) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return Internal(std::string("pipe2: ") + strerror(errno));
  std::vector<char*> argv = CStrings(plan.argv);
  std::vector<char*> envp = CStrings(plan.env);
  pid_t pid = fork();
  if (pid < 0) {
    close(report[0]);
    close(report[1]);
    return Internal(std::string("fork: ") + strerror(errno));
  }
  if (pid == 0) ExecChild(plan, argv.data(), envp.data(), out_fd, err_fd, report[1]);
  setpgid(pid, pid);  // also done by the child; whichever runs first wins the race
  close(report[1]);
  int child_errno = 0;
  ssize_t n;
  do {
    n = read(report[0], &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  close(report[0]);
  if (n > 0) {
    waitpid(pid, nullptr, 0);
    return Unavailable("cannot run " + JoinArgv(plan.argv) + ": " + strerror(child_errno));
  }
  return pid;
}

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string JoinArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    bool plain = !a.empty() && a.find_first_of(" '\"\\$") == std::string::npos;
    out += plain ? a : "'" + a + "'";
  }
  return out;
}

char ProcessState(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return '?';
  // The command name in parentheses may contain spaces; the state follows ") ".
  auto close_paren = line.rfind(')');
  if (close_paren == std::string::npos || close_paren + 2 >= line.size()) return '?';
  return line[close_paren + 2];
}

bool PidAlive(pid_t pid) {
  if (pid <= 0 || kill(pid, 0) != 0) return false;
  char state = ProcessState(pid);  // a zombie still answers kill(0)
  return state != '?' && state != 'Z';
}

std::vector<pid_t> ChildPids(pid_t parent) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    auto close_paren = line.rfind(')');
    if (close_paren == std::string::npos) continue;
    std::istringstream fields(line.substr(close_paren + 2));  // "<state> <ppid> ..."
    char state = 0;
    long ppid = 0;
    if (fields >> state >> ppid && ppid == parent && state != 'Z') out.push_back(std::stoi(name));
  }
  return out;
}

std::string TailOfFile(const std::filesystem::path& path, int lines) {
  std::ifstream in(path);
  std::vector<std::string> all;
  for (std::string line; std::getline(in, line);) all.push_back(line);
  std::string out;
  size_t from = all.size() > static_cast<size_t>(lines) ? all.size() - lines : 0;
  for (size_t i = from; i < all.size(); ++i) out += all[i] + "\n";
  return out;
}

Result<std::filesystem::path> BuildBinary(const std::filesystem::path& relative) {
  const char* dir = std::getenv("SHARDGATE_BINARY_DIR");
  if (dir == nullptr || *dir == '\0') return InvalidArgument("SHARDGATE_BINARY_DIR is not set");
  std::filesystem::path bin = std::filesystem::path(dir) / relative;
  if (!std::filesystem::exists(bin)) {
    return NotFound(bin.string() + " does not exist (build it first)");
  }
  return bin;
}

Status WaitWhileRunning(Process& process, const std::string& what,
                        const std::filesystem::path& log_path, std::chrono::milliseconds timeout,
                        const std::function<Status()>& probe) {
  constexpr int kLogTailLines = 5;
  // Read when failing, not before: the reason is what the program logged last.
  auto log = [&log_path] {
    if (log_path.empty()) return std::string();
    return "\n--- " + log_path.string() + " ---\n" + TailOfFile(log_path, kLogTailLines);
  };
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    Status up = probe();
    if (up.ok()) return up;
    if (!process.IsRunning()) {
      Result<int> code = process.Wait(std::chrono::milliseconds(0));
      return Unavailable(what + " exited during start-up (exit code " +
                         std::to_string(code.ok() ? *code : -1) + ")" + log());
    }
    if (Clock::now() >= deadline) {
      return Timeout(what + ": " + up.message() + " (after " + std::to_string(timeout.count()) +
                     " ms)" + log());
    }
    std::this_thread::sleep_for(2 * kPollInterval);
  }
}

bool WaitPidGone(pid_t pid, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (PidAlive(pid)) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

Result<std::unique_ptr<Process>> Process::Spawn(const ProcessOptions& options) {
  ASSIGN_OR_RETURN(ExecPlan plan, MakePlan(options.argv, options.env, options.user, options.cwd));
  std::string log = options.log_path.empty() ? "/dev/null" : options.log_path.string();
  int log_fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Unavailable("cannot open log " + log + ": " + strerror(errno));
  Result<pid_t> pid = ForkExec(std::move(plan), log_fd, log_fd);
  close(log_fd);
  RETURN_IF_ERROR(pid);
  std::string name = std::filesystem::path(options.argv[0]).filename().string();
  return std::unique_ptr<Process>(new Process(*pid, name));
}

std::unique_ptr<Process> Process::Adopt(pid_t pid, std::string name) {
  return std::unique_ptr<Process>(new Process(pid, std::move(name)));
}

Process::~Process() { (void)Stop(std::chrono::seconds(5)); }

bool Process::Reap(int options) {
  if (exited_) return true;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, options);
  } while (r < 0 && errno == EINTR);
  if (r == pid_ || (r < 0 && errno == ECHILD)) {
    exited_ = true;
    exit_code_ = r == pid_ ? DecodeWaitStatus(status) : -1;
  }
  return exited_;
}

bool Process::IsRunning() { return !Reap(WNOHANG); }

Status Process::Signal(int sig) {
  if (kill(-pid_, sig) != 0 && errno != ESRCH) {
    return Internal("kill " + name_ + ": " + strerror(errno));
  }
  return Status::Ok();
}

Result<int> Process::Wait(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (!Reap(WNOHANG)) {
    if (Clock::now() >= deadline) return Timeout(name_ + " still running");
    std::this_thread::sleep_for(kPollInterval);
  }
  return exit_code_;
}

Status Process::Stop(std::chrono::milliseconds timeout) {
  if (!exited_) {
    kill(-pid_, SIGCONT);  // a frozen (SIGSTOPped) group would never act on TERM
    (void)Signal(SIGTERM);
    if (!Wait(timeout).ok()) {
      (void)Signal(SIGKILL);
      if (!Wait(std::chrono::seconds(5)).ok()) return Timeout(name_ + " survived SIGKILL");
    }
  }
  // Stragglers left in the group (grandchildren) go too.
  kill(-pid_, SIGKILL);
  return Status::Ok();
}

namespace {

// Reads both pipes until EOF on both or the deadline; returns false on timeout.
bool DrainPipes(int out_fd, int err_fd, CommandResult& result, Clock::time_point deadline) {
  struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_count = 2;
  char buf[4096];
  while (open_count > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    int r = poll(fds, 2, static_cast<int>(left.count()));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return r == 0 ? false : true;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[i]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_count;
      }
    }
  }
  return true;
}

}  // namespace

Result<CommandResult> RunCommand(const std::vector<std::string>& argv, const EnvVars& env,
                                 std::chrono::milliseconds timeout, const std::string& user) {
  auto deadline = Clock::now() + timeout;
  ASSIGN_OR_RETURN(ExecPlan plan, MakePlan(argv, env, user, {}));
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) return Internal("pipe2 failed");
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    return Internal("pipe2 failed");
  }
  Result<pid_t> pid = ForkExec(std::move(plan), out_pipe[1], err_pipe[1]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  CommandResult result;
  bool finished = pid.ok() && DrainPipes(out_pipe[0], err_pipe[0], result, deadline);
  close(out_pipe[0]);
  close(err_pipe[0]);
  RETURN_IF_ERROR(pid);
  std::unique_ptr<Process> child = Process::Adopt(*pid, argv[0]);
  if (!finished)
    return Timeout(JoinArgv(argv) + " did not finish within " + std::to_string(timeout.count()) +
                   " ms");
  Result<int> code = child->Wait(std::chrono::milliseconds(std::max<long>(
      100,
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count())));
  if (!code.ok()) return Timeout(JoinArgv(argv) + " closed its output but did not exit");
  result.exit_code = *code;
  return result;
}

}  // namespace shardgate::harness
