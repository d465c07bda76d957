// pgbench runs for the router benches (see pgbench_runs.h).
#include "bench/pgbench_runs.h"

#include <chrono>
#include <cstdio>
#include <regex>

#include "bench/router_load.h"
#include "tests/harness/process.h"

namespace shardgate::bench {

using std::chrono::seconds;

Result<double> RunPgbench(const PgbenchTarget& target, int clients, int duration) {
  std::vector<std::string> argv = {"pgbench", "-n",
                                   "-S",      "-C",
                                   "-c",      std::to_string(clients),
                                   "-T",      std::to_string(duration),
                                   "-h",      "127.0.0.1",
                                   "-p",      std::to_string(target.port),
                                   "-U",      "postgres",
                                   "postgres"};
  harness::EnvVars env = {{"PGOPTIONS", target.pgoptions}};
  if (!target.sslmode.empty()) env.emplace_back("PGSSLMODE", target.sslmode);
  ASSIGN_OR_RETURN(auto run, harness::RunCommand(argv, env, seconds(duration + 30)));
  // tps from pgbench's summary ("tps = 257.1 (without initial connection time)").
  std::smatch match;
  static const std::regex kTps(R"(tps = ([0-9.]+))");
  if (run.exit_code != 0 || !std::regex_search(run.out, match, kTps)) {
    return Internal("pgbench failed: " + run.err.substr(0, 400));
  }
  return std::stod(match[1]);
}

Status InitPgbench(int port) {
  ASSIGN_OR_RETURN(auto init,
                   harness::RunCommand({"pgbench", "-i", "-q", "-s", "1", "-h", "127.0.0.1", "-p",
                                        std::to_string(port), "-U", "postgres", "postgres"},
                                       {}, seconds(120)));
  if (init.exit_code != 0) return Internal("pgbench -i failed: " + init.err.substr(0, 400));
  return Status::Ok();
}

std::vector<double> RunPgbenchRounds(const std::string& prefix,
                                     const std::vector<PgbenchTarget>& targets, int rounds,
                                     int clients, int duration) {
  std::vector<double> mean(targets.size(), 0);
  for (int round = 0; round < rounds; ++round) {
    for (size_t i = 0; i < targets.size(); ++i) {
      size_t index = round % 2 == 0 ? i : targets.size() - 1 - i;
      auto result = RunPgbench(targets[index], clients, duration);
      std::printf("%s: round %d %-14s tps=%s%s\n", prefix.c_str(), round + 1,
                  targets[index].name.c_str(), Fixed(result.ok() ? *result : 0, 1).c_str(),
                  result.ok() ? "" : (" error=" + result.status().ToString()).c_str());
      std::fflush(stdout);
      mean[index] += result.ok() ? *result / rounds : 0;
    }
  }
  return mean;
}

}  // namespace shardgate::bench
