// The runtime-API commands that take HAProxy's servers from what it has to what is desired (pure).
#pragma once

#include <string>
#include <vector>

#include "controller/desired_state.h"

namespace shardgate::controller {

// One server as HAProxy reports it (`show servers state`), reduced to what the controller sets.
struct ObservedServer {
  std::string backend;
  std::string name;
  std::string address;
  int port = 0;
  int weight = 0;
  ServerMode mode = ServerMode::kReady;
  bool operator==(const ObservedServer&) const = default;
};

// One runtime-API command, as a value so that it can be tested, logged and counted.
struct ServerCommand {
  enum class Kind { kAddServer, kSetAddr, kSetWeight, kSetState, kShutdownSessions, kDelServer };
  Kind kind = Kind::kSetState;
  std::string backend;
  std::string server;
  std::string address;                   // kAddServer, kSetAddr
  int port = 0;                          // kAddServer, kSetAddr
  int weight = 0;                        // kAddServer, kSetWeight
  ServerMode mode = ServerMode::kMaint;  // kSetState
  std::string reason;  // why, for the log line: "new node", "weight", "fenced", ...
  bool operator==(const ServerCommand&) const = default;
};

// "add_server", "set_addr", "set_weight", "set_state", "shutdown_sessions", "del_server".
std::string_view CommandKindName(ServerCommand::Kind kind);

// "<shard>_rw" and "<shard>_ro": the backends the router sends a shard's connections to.
std::string RwBackend(const std::string& shard);
std::string RoBackend(const std::string& shard);

// The minimal commands, in the order to send them. Per server: add (HAProxy adds it in maint),
// address, weight, then state, so a server is never ready at a stale address or weight; a
// weight is not touched while the server stays in maint. A fenced node's sessions are shut down
// right after it is put in maint (once: a fenced server already in maint gets nothing). Servers
// HAProxy has in a shard's backends that no node desires any more are put in maint (never deleted
// here). Empty when HAProxy is in line: applying the result and diffing again gives nothing
// (idempotent).
std::vector<ServerCommand> DiffServers(const std::vector<DesiredShard>& desired,
                                       const std::vector<ObservedServer>& observed);

// The servers HAProxy has in the desired shards' backends that no node desires any more (the ones
// DiffServers puts in maint), in `observed` order.
std::vector<ObservedServer> UnwantedServers(const std::vector<DesiredShard>& desired,
                                            const std::vector<ObservedServer>& observed);

}  // namespace shardgate::controller
