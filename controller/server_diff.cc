// Server diff: desired shards vs HAProxy's servers -> the minimal runtime commands.
#include "controller/server_diff.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace shardgate::controller {
namespace {

using Kind = ServerCommand::Kind;
using Key = std::pair<std::string, std::string>;  // backend, server

ServerCommand Command(Kind kind, const std::string& backend, const DesiredServer& server,
                      std::string reason) {
  ServerCommand c;
  c.kind = kind;
  c.backend = backend;
  c.server = server.name;
  c.address = server.address;
  c.port = server.port;
  c.weight = server.weight;
  c.mode = server.mode;
  c.reason = std::move(reason);
  return c;
}

// Commands for one server of one backend.
void DiffServer(const std::string& backend, const DesiredServer& want, const ObservedServer* have,
                bool fenced, std::vector<ServerCommand>& out) {
  ServerMode mode = ServerMode::kMaint;  // what a newly added server starts in
  int weight = want.weight;
  if (have == nullptr) {
    out.push_back(Command(Kind::kAddServer, backend, want, "new node"));
  } else {
    mode = have->mode;
    weight = have->weight;
    if (have->address != want.address || have->port != want.port) {
      out.push_back(Command(Kind::kSetAddr, backend, want, "address"));
    }
  }
  bool serving = want.mode != ServerMode::kMaint;
  if (serving && weight != want.weight) {
    out.push_back(Command(Kind::kSetWeight, backend, want, "weight"));
  }
  if (mode == want.mode) return;
  out.push_back(Command(Kind::kSetState, backend, want, fenced ? "fenced" : "state"));
  // maint alone keeps established sessions; a fenced node must not keep taking writes.
  if (fenced) out.push_back(Command(Kind::kShutdownSessions, backend, want, "fenced"));
}

bool TakesOut(const ServerCommand& c) {
  return c.kind == Kind::kShutdownSessions ||
         (c.kind == Kind::kSetState && c.mode != ServerMode::kReady);
}

bool IsRw(const std::string& backend) {
  return backend.size() >= 3 && backend.compare(backend.size() - 3, 3, "_rw") == 0;
}

// Writers out before the new writer comes in (never two writers at once); readers in before
// readers go out (never an empty read backend in between). Otherwise the order stays as made,
// so a server's own add -> address -> weight -> state order holds; a server added in this diff
// serves nothing yet, so its commands keep their place after its add.
std::vector<ServerCommand> InSafeOrder(std::vector<ServerCommand> commands) {
  std::set<Key> added;
  for (const ServerCommand& c : commands) {
    if (c.kind == Kind::kAddServer) added.insert({c.backend, c.server});
  }
  auto moves = [&](const ServerCommand& c, bool rw) {
    return TakesOut(c) && IsRw(c.backend) == rw && added.count({c.backend, c.server}) == 0;
  };
  auto rest = std::stable_partition(commands.begin(), commands.end(),
                                    [&](const ServerCommand& c) { return moves(c, true); });
  std::stable_partition(rest, commands.end(),
                        [&](const ServerCommand& c) { return !moves(c, false); });
  return commands;
}

}  // namespace

std::string_view CommandKindName(ServerCommand::Kind kind) {
  switch (kind) {
    case Kind::kAddServer: return "add_server";
    case Kind::kSetAddr: return "set_addr";
    case Kind::kSetWeight: return "set_weight";
    case Kind::kSetState: return "set_state";
    case Kind::kShutdownSessions: return "shutdown_sessions";
    case Kind::kDelServer: return "del_server";
  }
  return "set_state";
}

std::string RwBackend(const std::string& shard) { return shard + "_rw"; }
std::string RoBackend(const std::string& shard) { return shard + "_ro"; }

// Calls `visit(backend, server, fenced)` for every desired server of every shard.
template <typename Visit>
void ForEachDesired(const std::vector<DesiredShard>& desired, Visit visit) {
  for (const DesiredShard& shard : desired) {
    for (const auto& [backend, servers] : {std::pair{RwBackend(shard.shard), &shard.rw},
                                           std::pair{RoBackend(shard.shard), &shard.ro}}) {
      for (const DesiredServer& server : *servers) {
        bool fenced = std::find(shard.fenced.begin(), shard.fenced.end(), server.name) !=
                      shard.fenced.end();
        visit(backend, server, fenced);
      }
    }
  }
}

std::vector<ObservedServer> UnwantedServers(const std::vector<DesiredShard>& desired,
                                            const std::vector<ObservedServer>& observed) {
  std::set<Key> wanted;
  std::set<std::string> our_backends;
  for (const DesiredShard& shard : desired) {
    our_backends.insert(RwBackend(shard.shard));
    our_backends.insert(RoBackend(shard.shard));
  }
  ForEachDesired(desired, [&](const std::string& backend, const DesiredServer& server, bool) {
    wanted.insert({backend, server.name});
  });
  std::vector<ObservedServer> out;
  for (const ObservedServer& s : observed) {
    if (our_backends.count(s.backend) > 0 && wanted.count({s.backend, s.name}) == 0) {
      out.push_back(s);
    }
  }
  return out;
}

std::vector<ServerCommand> DiffServers(const std::vector<DesiredShard>& desired,
                                       const std::vector<ObservedServer>& observed) {
  std::map<Key, const ObservedServer*> have;
  for (const ObservedServer& s : observed) have[{s.backend, s.name}] = &s;
  std::vector<ServerCommand> out;
  ForEachDesired(desired, [&](const std::string& backend, const DesiredServer& server,
                              bool fenced) {
    auto found = have.find({backend, server.name});
    DiffServer(backend, server, found == have.end() ? nullptr : found->second, fenced, out);
  });
  for (const ObservedServer& s : UnwantedServers(desired, observed)) {
    if (s.mode == ServerMode::kMaint) continue;
    DesiredServer gone{s.name, s.address, s.port, s.weight, ServerMode::kMaint};
    out.push_back(Command(Kind::kSetState, s.backend, gone, "node gone"));
  }
  return InSafeOrder(std::move(out));
}

}  // namespace shardgate::controller
