// RuntimeClient: typed HAProxy runtime-API commands over a RuntimeSocket.
#include "haproxy/runtime_client.h"

#include <charconv>

namespace shardgate::haproxy {
namespace {

// HAProxy's CLI splits arguments on blanks; names and paths with blanks or newlines cannot be
// passed safely, so they are refused before anything is sent.
Status CheckArg(std::string_view what, std::string_view value) {
  if (value.empty()) return InvalidArgument(std::string(what) + " is empty");
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\\' || c == ';') {
      return InvalidArgument(std::string(what) + " '" + std::string(value) +
                             "' contains a blank, newline, backslash or semicolon");
    }
  }
  return Status::Ok();
}

Status CheckServerRef(std::string_view backend, std::string_view server) {
  Status s = CheckArg("backend", backend);
  if (s.ok()) s = CheckArg("server", server);
  if (s.ok() && (backend.find('/') != std::string_view::npos ||
                 server.find('/') != std::string_view::npos)) {
    s = InvalidArgument("backend and server names must not contain '/'");
  }
  return s;
}

std::string ServerRef(std::string_view backend, std::string_view server) {
  return std::string(backend) + "/" + std::string(server);
}

// Prefixes a status message with the command it came from.
Status WithCommand(const std::string& command, const Status& s) {
  return Status(s.code(), "'" + command + "': " + s.message());
}

Status WithMap(std::string_view map_path, const Status& s) {
  return Status(s.code(), "map " + std::string(map_path) + ": " + s.message());
}

// The version at the head of a meta value "<version>|<nchunks>|<nsegments>".
Result<uint64_t> ParseMetaVersion(std::string_view meta) {
  uint64_t version = 0;
  std::string_view head = meta.substr(0, meta.find('|'));
  auto [ptr, ec] = std::from_chars(head.data(), head.data() + head.size(), version);
  if (ec != std::errc() || ptr != head.data() + head.size() || head.empty()) {
    return ProtocolError("meta entry '" + std::string(meta) + "' has no version");
  }
  return version;
}

}  // namespace

Status RuntimeClient::Run(const std::string& command) {
  Result<std::string> reply = socket_.Execute(command);
  if (!reply.ok()) return WithCommand(command.substr(0, command.find('\n')), reply.status());
  return CheckCommandReply(command, *reply);
}

Result<std::string> RuntimeClient::Query(const std::string& command) {
  Result<std::string> reply = socket_.Execute(command);
  if (!reply.ok()) return WithCommand(command, reply.status());
  Status s = CheckQueryReply(command, *reply);
  if (!s.ok()) return s;
  return reply;
}

Result<ProcessInfo> RuntimeClient::ShowInfo() {
  const std::string command = "show info";
  Result<std::string> reply = Query(command);
  if (!reply.ok()) return reply.status();
  Result<ProcessInfo> info = ParseShowInfo(*reply);
  if (!info.ok()) return WithCommand(command, info.status());
  return info;
}

Result<std::vector<ServerState>> RuntimeClient::ShowServersState(std::string_view backend) {
  std::string command = "show servers state";
  if (!backend.empty()) {
    Status s = CheckArg("backend", backend);
    if (!s.ok()) return s;
    command += " " + std::string(backend);
  }
  Result<std::string> reply = Query(command);
  if (!reply.ok()) return reply.status();
  Result<std::vector<ServerState>> states = ParseServersState(*reply);
  if (!states.ok()) return WithCommand(command, states.status());
  return states;
}

Status RuntimeClient::SetServerWeight(std::string_view backend, std::string_view server,
                                      int weight) {
  Status s = CheckServerRef(backend, server);
  if (!s.ok()) return s;
  if (weight < 0 || weight > 256) {
    return InvalidArgument("weight " + std::to_string(weight) + " is outside 0..256");
  }
  return Run("set server " + ServerRef(backend, server) + " weight " + std::to_string(weight));
}

Status RuntimeClient::SetServerState(std::string_view backend, std::string_view server,
                                     std::string_view state) {
  Status s = CheckServerRef(backend, server);
  if (!s.ok()) return s;
  if (state != "ready" && state != "drain" && state != "maint") {
    return InvalidArgument("server state '" + std::string(state) +
                           "' is not ready, drain or maint");
  }
  return Run("set server " + ServerRef(backend, server) + " state " + std::string(state));
}

Status RuntimeClient::SetServerAddr(std::string_view backend, std::string_view server,
                                    std::string_view addr, int port) {
  Status s = CheckServerRef(backend, server);
  if (s.ok()) s = CheckArg("address", addr);
  if (!s.ok()) return s;
  if (port <= 0 || port > 65535) return InvalidArgument("port " + std::to_string(port) + " is outside 1..65535");
  return Run("set server " + ServerRef(backend, server) + " addr " + std::string(addr) + " port " +
             std::to_string(port));
}

Status RuntimeClient::AddServer(std::string_view backend, std::string_view server,
                                std::string_view addr, int port, const AddServerOptions& options) {
  Status s = CheckServerRef(backend, server);
  if (s.ok()) s = CheckArg("address", addr);
  if (!s.ok()) return s;
  if (port <= 0 || port > 65535) return InvalidArgument("port " + std::to_string(port) + " is outside 1..65535");
  if (options.weight < 0 || options.weight > 256) {
    return InvalidArgument("weight " + std::to_string(options.weight) + " is outside 0..256");
  }
  std::string command = "add server " + ServerRef(backend, server) + " " + std::string(addr) + ":" +
                        std::to_string(port) + " weight " + std::to_string(options.weight);
  if (options.backup) command += " backup";
  if (options.check) {
    command += " check inter " + std::to_string(options.check_interval.count()) + "ms fall " +
               std::to_string(options.fall) + " rise " + std::to_string(options.rise);
  }
  return Run(command);
}

Status RuntimeClient::EnableHealth(std::string_view backend, std::string_view server) {
  Status s = CheckServerRef(backend, server);
  if (!s.ok()) return s;
  return Run("enable health " + ServerRef(backend, server));
}

Status RuntimeClient::DelServer(std::string_view backend, std::string_view server) {
  Status s = CheckServerRef(backend, server);
  if (!s.ok()) return s;
  return Run("del server " + ServerRef(backend, server));
}

Result<std::optional<std::string>> RuntimeClient::LookupMap(std::string_view map_path,
                                                            std::string_view key) {
  Status s = CheckArg("map path", map_path);
  if (s.ok()) s = CheckArg("map key", key);
  if (!s.ok()) return s;
  const std::string command = "get map " + std::string(map_path) + " " + std::string(key);
  Result<std::string> reply = Query(command);
  if (!reply.ok()) return reply.status();
  Result<std::optional<std::string>> value = ParseGetMap(*reply);
  if (!value.ok()) return WithCommand(command, value.status());
  return value;
}

Result<std::string> RuntimeClient::GetMapValue(std::string_view map_path, std::string_view key) {
  Result<std::optional<std::string>> value = LookupMap(map_path, key);
  if (!value.ok()) return value.status();
  if (!value->has_value()) {
    return NotFound("map " + std::string(map_path) + " has no key '" + std::string(key) + "'");
  }
  return std::move(**value);
}

Result<std::vector<std::pair<std::string, std::string>>> RuntimeClient::ShowMap(
    std::string_view map_path) {
  Status s = CheckArg("map path", map_path);
  if (!s.ok()) return s;
  const std::string command = "show map " + std::string(map_path);
  Result<std::string> reply = Query(command);
  if (!reply.ok()) return reply.status();
  Result<std::vector<std::pair<std::string, std::string>>> entries = ParseShowMap(*reply);
  if (!entries.ok()) return WithCommand(command, entries.status());
  return entries;
}

Result<DecodedMap> RuntimeClient::ReadRangeMap(std::string_view map_path) {
  Result<std::vector<std::pair<std::string, std::string>>> entries = ShowMap(map_path);
  if (!entries.ok()) return entries.status();
  Result<DecodedMap> decoded = DecodeMapEntries(*entries);
  if (!decoded.ok()) return WithMap(map_path, decoded.status());
  return decoded;
}

Result<uint64_t> RuntimeClient::NextMapVersion(std::string_view map_path) {
  Result<std::optional<std::string>> meta = LookupMap(map_path, kMetaKey);
  if (!meta.ok()) return meta.status();
  if (!meta->has_value()) return uint64_t{1};
  Result<uint64_t> current = ParseMetaVersion(**meta);
  if (!current.ok()) return WithMap(map_path, current.status());
  return *current + 1;
}

Status RuntimeClient::AddMapEntries(std::string_view map_path, uint64_t generation,
                                    const std::vector<std::pair<std::string, std::string>>& entries) {
  const std::string header =
      "add map @" + std::to_string(generation) + " " + std::string(map_path) + " <<\n";
  std::string command = header;
  for (const auto& [key, value] : entries) {
    std::string line = key + " " + value + "\n";
    // +1: the empty line that ends the payload.
    if (command.size() > header.size() &&
        command.size() + line.size() + 1 >= kMaxPayloadCommandBytes) {
      Status s = Run(command);
      if (!s.ok()) return s;
      command = header;
    }
    command += line;
  }
  return command.size() > header.size() ? Run(command) : Status::Ok();
}

Result<uint64_t> RuntimeClient::PushRangeMap(std::string_view map_path,
                                             const std::vector<model::Segment>& segments,
                                             uint64_t version) {
  Status s = CheckArg("map path", map_path);
  if (s.ok()) s = model::ValidateSegments(segments);
  if (!s.ok()) return s;
  if (version == 0) {
    Result<uint64_t> next = NextMapVersion(map_path);
    if (!next.ok()) return next.status();
    version = *next;
  }
  const std::string prepare = "prepare map " + std::string(map_path);
  Result<std::string> prepared = Query(prepare);
  if (!prepared.ok()) return prepared.status();
  Result<uint64_t> generation = ParsePrepareMap(*prepared);
  if (!generation.ok()) return WithCommand(prepare, generation.status());

  const std::string at = "@" + std::to_string(*generation) + " " + std::string(map_path);
  s = AddMapEntries(map_path, *generation, EncodeMapEntries(segments, version));
  if (s.ok()) s = Run("commit map " + at);
  if (!s.ok()) {
    // Free the abandoned version now rather than at the next commit; failure to do so is
    // harmless (a later commit purges it), so its result is not reported over the real error.
    (void)Run("clear map " + at);
    return Status(s.code(), "map version " + std::to_string(version) +
                                " not pushed, live map unchanged: " + s.message());
  }
  return version;
}

}  // namespace shardgate::haproxy
