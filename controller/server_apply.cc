// Server commands -> runtime-API calls; `show servers state` -> the diff's observed servers.
#include "controller/server_apply.h"

namespace shardgate::controller {
namespace {

using Kind = ServerCommand::Kind;

Status Apply(haproxy::RuntimeClient& client, const ServerCommand& c) {
  switch (c.kind) {
    case Kind::kAddServer: {
      haproxy::AddServerOptions options;
      options.weight = c.weight;
      RETURN_IF_ERROR(client.AddServer(c.backend, c.server, c.address, c.port, options));
      return client.EnableHealth(c.backend, c.server);
    }
    case Kind::kSetAddr: return client.SetServerAddr(c.backend, c.server, c.address, c.port);
    case Kind::kSetWeight: return client.SetServerWeight(c.backend, c.server, c.weight);
    case Kind::kSetState: return client.SetServerState(c.backend, c.server, ServerModeName(c.mode));
    case Kind::kShutdownSessions: return client.ShutdownSessions(c.backend, c.server);
    case Kind::kDelServer: return client.DelServer(c.backend, c.server);
  }
  return Internal("unknown server command kind");
}

}  // namespace

std::vector<ObservedServer> ObserveServers(const std::vector<haproxy::ServerState>& states) {
  std::vector<ObservedServer> out;
  out.reserve(states.size());
  for (const haproxy::ServerState& s : states) {
    ServerMode mode = ServerMode::kReady;
    if (s.admin_state.InMaintenance()) {
      mode = ServerMode::kMaint;
    } else if (s.admin_state.Draining()) {
      mode = ServerMode::kDrain;
    }
    out.push_back({s.backend, s.server, s.addr, s.port, s.weight, mode});
  }
  return out;
}

ApplyOutcome ApplyCommands(haproxy::RuntimeClient& client,
                           const std::vector<ServerCommand>& commands) {
  ApplyOutcome outcome;
  for (const ServerCommand& c : commands) {
    Status s = Apply(client, c);
    if (s.ok()) {
      ++outcome.applied;
      outcome.done.push_back(c);
      continue;
    }
    ++outcome.failed;
    outcome.refused.push_back(c);
    outcome.errors.push_back(std::string(CommandKindName(c.kind)) + " " + c.backend + "/" +
                             c.server + ": " + s.ToString());
  }
  return outcome;
}

}  // namespace shardgate::controller
