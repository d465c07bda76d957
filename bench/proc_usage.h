// CPU time and resident memory of a running process, read from /proc (Linux).
#pragma once

#include <sys/types.h>

#include "common/status.h"

namespace shardgate::bench {

struct ProcUsage {
  double cpu_seconds = 0;  // utime + stime since the process started
  double rss_mib = 0;      // VmRSS
};

// Errors: kNotFound when the process is gone, kProtocol when /proc says something unexpected.
Result<ProcUsage> ReadProcUsage(pid_t pid);

// CPU used between two readings as a percentage of one core over `seconds` of wall time.
double CpuPercent(const ProcUsage& before, const ProcUsage& after, double seconds);

}  // namespace shardgate::bench
