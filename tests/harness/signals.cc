// Self-pipe based shutdown signal handling.
#include "tests/harness/signals.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

namespace shardgate::harness {
namespace {

std::atomic<int> g_signal{0};
int g_pipe[2] = {-1, -1};

void OnSignal(int sig) {
  int saved = errno;
  g_signal.store(sig);
  if (g_pipe[1] >= 0) (void)!write(g_pipe[1], "x", 1);
  errno = saved;
}

}  // namespace

void InstallShutdownHandlers() {
  if (g_pipe[0] < 0 && pipe2(g_pipe, O_CLOEXEC | O_NONBLOCK) != 0) g_pipe[0] = g_pipe[1] = -1;
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool ShutdownRequested() { return g_signal.load() != 0; }

int ShutdownSignal() { return g_signal.load(); }

bool WaitForShutdown(std::chrono::milliseconds timeout) {
  if (ShutdownRequested() || g_pipe[0] < 0) return ShutdownRequested();
  struct pollfd pfd = {g_pipe[0], POLLIN, 0};
  int r;
  do {
    r = poll(&pfd, 1, static_cast<int>(timeout.count()));
  } while (r < 0 && errno == EINTR && !ShutdownRequested());
  return ShutdownRequested();
}

}  // namespace shardgate::harness
