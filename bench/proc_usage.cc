// /proc/<pid>/stat and /proc/<pid>/status readings (see proc_usage.h).
#include "bench/proc_usage.h"

#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "common/file.h"

namespace shardgate::bench {

Result<ProcUsage> ReadProcUsage(pid_t pid) {
  const std::string dir = "/proc/" + std::to_string(pid);
  Result<std::string> stat = ReadFile(dir + "/stat");
  if (!stat.ok()) return NotFound("process " + std::to_string(pid) + " is gone");
  // The command name (field 2) may hold blanks; the fields after its ')' are plain numbers.
  size_t close = stat->rfind(')');
  if (close == std::string::npos) return ProtocolError(dir + "/stat has no ')'");
  std::istringstream rest(stat->substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  if (fields.size() < 13) return ProtocolError(dir + "/stat is short");
  ProcUsage usage;
  usage.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) /
                      static_cast<double>(sysconf(_SC_CLK_TCK));
  ASSIGN_OR_RETURN(std::string status, ReadFile(dir + "/status"));
  std::istringstream lines(status);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("VmRSS:")) usage.rss_mib = std::stod(line.substr(6)) / 1024.0;
  }
  return usage;
}

double CpuPercent(const ProcUsage& before, const ProcUsage& after, double seconds) {
  if (seconds <= 0) return 0;
  return 100.0 * (after.cpu_seconds - before.cpu_seconds) / seconds;
}

}  // namespace shardgate::bench
