// Applying server commands through HAProxy's runtime API, and reading HAProxy's servers back.
#pragma once

#include <string>
#include <vector>

#include "controller/server_diff.h"
#include "haproxy/replies.h"
#include "haproxy/runtime_client.h"

namespace shardgate::controller {

// HAProxy's servers as the diff sees them: maintenance (forced, inherited or resolver) is
// kMaint, a drain kDrain, anything else kReady. HAProxy's own check result does not count:
// a server HAProxy found down is still "ready" as far as the controller's intent goes.
std::vector<ObservedServer> ObserveServers(const std::vector<haproxy::ServerState>& states);

struct ApplyOutcome {
  int applied = 0;
  int failed = 0;
  // "<kind> <backend>/<server>: <status>" for each failure, in order.
  std::vector<std::string> errors;
  std::vector<ServerCommand> done;     // the commands that succeeded, in order (for the log)
  std::vector<ServerCommand> refused;  // the commands that failed, as `errors`
};

// Sends the commands in order. An added server also gets its health check enabled (HAProxy
// runs no check on a dynamic server until told to). A failed command is recorded and the rest
// still go: each later command stands on its own, and the next reconcile retries what failed.
// Thread-safety: as the client's socket.
ApplyOutcome ApplyCommands(haproxy::RuntimeClient& client,
                           const std::vector<ServerCommand>& commands);

}  // namespace shardgate::controller
