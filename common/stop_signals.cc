// Blocking and waiting for the stop signals (see stop_signals.h).
#include "common/stop_signals.h"

#include <pthread.h>
#include <signal.h>

namespace shardgate {
namespace {

sigset_t StopSignalSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void BlockStopSignals() {
  sigset_t set = StopSignalSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForStopSignal() {
  sigset_t set = StopSignalSet();
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

}  // namespace shardgate
