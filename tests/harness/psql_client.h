// The real psql binary as a client: what a user would see, with a bounded run time.
#pragma once

#include <chrono>
#include <string>

#include "common/status.h"
#include "tests/harness/process.h"

namespace shardgate::harness {

struct PsqlArgs {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string user = "postgres";
  std::string db = "postgres";
  std::string sslmode;  // empty: libpq's default (prefer), as most clients send
  std::string options;  // PGOPTIONS, e.g. "-c shardgate.key=42"
  EnvVars env;          // anything else (PGAPPNAME, ...)
  std::string sql;
  std::chrono::milliseconds timeout = std::chrono::seconds(10);
};

// Runs `psql -X -A -t -q -v ON_ERROR_STOP=1 -c <sql>`. PGCONNECT_TIMEOUT is derived from the
// timeout; the whole run is killed when it exceeds it (kTimeout). A psql that ran and failed is
// a successful Result with a non-zero exit_code and the server's message in `err`.
Result<CommandResult> Psql(const PsqlArgs& args);

// The first line of stdout, without the newline.
std::string FirstLine(const std::string& text);

}  // namespace shardgate::harness
