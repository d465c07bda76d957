// psql invocation with explicit connection parameters and a hard deadline.
#include "tests/harness/psql_client.h"

#include <algorithm>

namespace shardgate::harness {

Result<CommandResult> Psql(const PsqlArgs& args) {
  if (args.port <= 0) return InvalidArgument("psql: port is not set");
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(args.timeout).count();
  EnvVars env = {
      {"PGCONNECT_TIMEOUT", std::to_string(std::max<long>(2, seconds))},
      {"PGOPTIONS", args.options},
      {"PGPASSWORD", ""},
  };
  if (!args.sslmode.empty()) env.emplace_back("PGSSLMODE", args.sslmode);
  env.insert(env.end(), args.env.begin(), args.env.end());
  std::vector<std::string> argv = {"psql",
                                   "-X",
                                   "-A",
                                   "-t",
                                   "-q",
                                   "-v",
                                   "ON_ERROR_STOP=1",
                                   "-h",
                                   args.host,
                                   "-p",
                                   std::to_string(args.port),
                                   "-U",
                                   args.user,
                                   "-d",
                                   args.db,
                                   "-c",
                                   args.sql};
  return RunCommand(argv, env, args.timeout);
}

std::string FirstLine(const std::string& text) { return text.substr(0, text.find('\n')); }

}  // namespace shardgate::harness
