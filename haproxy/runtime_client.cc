// RuntimeClient: typed HAProxy runtime-API commands over a RuntimeSocket.
#include "haproxy/runtime_client.h"

#include "common/numbers.h"
#include "haproxy/pem.h"

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
  RETURN_IF_ERROR(CheckArg("backend", backend));
  RETURN_IF_ERROR(CheckArg("server", server));
  if (backend.find('/') != std::string_view::npos || server.find('/') != std::string_view::npos) {
    return InvalidArgument("backend and server names must not contain '/'");
  }
  return Status::Ok();
}

std::string ServerRef(std::string_view backend, std::string_view server) {
  return std::string(backend) + "/" + std::string(server);
}

// Error contexts (see Annotate): the command an error came from, or the map it concerns.
std::string CommandContext(std::string_view command) { return "'" + std::string(command) + "'"; }

std::string MapContext(std::string_view map_path) { return "map " + std::string(map_path); }

// The version at the head of a meta value "<version>|<nchunks>|<nsegments>".
Result<uint64_t> ParseMetaVersion(std::string_view meta) {
  uint64_t version = 0;
  if (!ParseInteger(meta.substr(0, meta.find('|')), &version)) {
    return ProtocolError("meta entry '" + std::string(meta) + "' has no version");
  }
  return version;
}

}  // namespace

Status RuntimeClient::Run(const std::string& command) {
  std::string_view first_line = std::string_view(command).substr(0, command.find('\n'));
  ASSIGN_OR_RETURN(std::string reply,
                   Annotate(socket_.Execute(command), CommandContext(first_line)));
  return CheckCommandReply(command, reply);
}

Result<std::string> RuntimeClient::Query(const std::string& command) {
  ASSIGN_OR_RETURN(std::string reply, Annotate(socket_.Execute(command), CommandContext(command)));
  RETURN_IF_ERROR(CheckQueryReply(command, reply));
  return reply;
}

Result<ProcessInfo> RuntimeClient::ShowInfo() {
  const std::string command = "show info";
  ASSIGN_OR_RETURN(std::string reply, Query(command));
  return Annotate(ParseShowInfo(reply), CommandContext(command));
}

Result<std::vector<ServerState>> RuntimeClient::ShowServersState(std::string_view backend) {
  std::string command = "show servers state";
  if (!backend.empty()) {
    RETURN_IF_ERROR(CheckArg("backend", backend));
    command += " " + std::string(backend);
  }
  ASSIGN_OR_RETURN(std::string reply, Query(command));
  return Annotate(ParseServersState(reply), CommandContext(command));
}

Result<std::vector<std::string>> RuntimeClient::ShowBackends() {
  const std::string command = "show backend";
  ASSIGN_OR_RETURN(std::string reply, Query(command));
  return Annotate(ParseShowBackend(reply), CommandContext(command));
}

Result<std::vector<ServerStat>> RuntimeClient::ShowServerStats() {
  const std::string command = "show stat -1 4 -1";
  ASSIGN_OR_RETURN(std::string reply, Query(command));
  return Annotate(ParseServerStats(reply), CommandContext(command));
}

Status RuntimeClient::SetServerWeight(std::string_view backend, std::string_view server,
                                      int weight) {
  RETURN_IF_ERROR(CheckServerRef(backend, server));
  if (weight < 0 || weight > 256) {
    return InvalidArgument("weight " + std::to_string(weight) + " is outside 0..256");
  }
  return Run("set server " + ServerRef(backend, server) + " weight " + std::to_string(weight));
}

Status RuntimeClient::SetServerState(std::string_view backend, std::string_view server,
                                     std::string_view state) {
  RETURN_IF_ERROR(CheckServerRef(backend, server));
  if (state != "ready" && state != "drain" && state != "maint") {
    return InvalidArgument("server state '" + std::string(state) +
                           "' is not ready, drain or maint");
  }
  return Run("set server " + ServerRef(backend, server) + " state " + std::string(state));
}

Status RuntimeClient::SetServerAddr(std::string_view backend, std::string_view server,
                                    std::string_view addr, int port) {
  RETURN_IF_ERROR(CheckServerRef(backend, server));
  RETURN_IF_ERROR(CheckArg("address", addr));
  if (port <= 0 || port > 65535)
    return InvalidArgument("port " + std::to_string(port) + " is outside 1..65535");
  return Run("set server " + ServerRef(backend, server) + " addr " + std::string(addr) + " port " +
             std::to_string(port));
}

Status RuntimeClient::AddServer(std::string_view backend, std::string_view server,
                                std::string_view addr, int port, const AddServerOptions& options) {
  RETURN_IF_ERROR(CheckServerRef(backend, server));
  RETURN_IF_ERROR(CheckArg("address", addr));
  if (port <= 0 || port > 65535)
    return InvalidArgument("port " + std::to_string(port) + " is outside 1..65535");
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
  RETURN_IF_ERROR(CheckServerRef(backend, server));
  return Run("enable health " + ServerRef(backend, server));
}

Status RuntimeClient::ShutdownSessions(std::string_view backend, std::string_view server) {
  RETURN_IF_ERROR(CheckServerRef(backend, server));
  return Run("shutdown sessions server " + ServerRef(backend, server));
}

Status RuntimeClient::DelServer(std::string_view backend, std::string_view server) {
  RETURN_IF_ERROR(CheckServerRef(backend, server));
  return Run("del server " + ServerRef(backend, server));
}

Result<std::optional<std::string>> RuntimeClient::LookupMap(std::string_view map_path,
                                                            std::string_view key) {
  RETURN_IF_ERROR(CheckArg("map path", map_path));
  RETURN_IF_ERROR(CheckArg("map key", key));
  const std::string command = "get map " + std::string(map_path) + " " + std::string(key);
  ASSIGN_OR_RETURN(std::string reply, Query(command));
  return Annotate(ParseGetMap(reply), CommandContext(command));
}

Result<std::string> RuntimeClient::GetMapValue(std::string_view map_path, std::string_view key) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, LookupMap(map_path, key));
  if (!value.has_value()) {
    return NotFound("map " + std::string(map_path) + " has no key '" + std::string(key) + "'");
  }
  return std::move(*value);
}

Result<std::vector<std::pair<std::string, std::string>>> RuntimeClient::ShowMap(
    std::string_view map_path) {
  RETURN_IF_ERROR(CheckArg("map path", map_path));
  const std::string command = "show map " + std::string(map_path);
  ASSIGN_OR_RETURN(std::string reply, Query(command));
  return Annotate(ParseShowMap(reply), CommandContext(command));
}

Status RuntimeClient::AddMapEntry(std::string_view map_path, std::string_view key,
                                  std::string_view value) {
  return EditMapEntry("add", map_path, key, value).status();
}

Result<bool> RuntimeClient::SetMapEntry(std::string_view map_path, std::string_view key,
                                        std::string_view value) {
  return EditMapEntry("set", map_path, key, value);
}

Result<bool> RuntimeClient::DelMapEntry(std::string_view map_path, std::string_view key) {
  return EditMapEntry("del", map_path, key, std::nullopt);
}

Result<bool> RuntimeClient::EditMapEntry(std::string_view verb, std::string_view map_path,
                                         std::string_view key,
                                         std::optional<std::string_view> value) {
  RETURN_IF_ERROR(CheckArg("map path", map_path));
  RETURN_IF_ERROR(CheckArg("map key", key));
  std::string command = std::string(verb) + " map " + std::string(map_path) + " " +
                        std::string(key);
  if (value.has_value()) {
    RETURN_IF_ERROR(CheckArg("map value", *value));
    command += " " + std::string(*value);
  }
  ASSIGN_OR_RETURN(std::string reply, Annotate(socket_.Execute(command), CommandContext(command)));
  if (IsMissingMapKeyReply(reply)) return false;
  RETURN_IF_ERROR(CheckCommandReply(command, reply));
  return true;
}

Result<DecodedMap> RuntimeClient::ReadRangeMap(std::string_view map_path) {
  ASSIGN_OR_RETURN(auto entries, ShowMap(map_path));
  return Annotate(DecodeMapEntries(entries), MapContext(map_path));
}

Result<uint64_t> RuntimeClient::RangeMapVersion(std::string_view map_path) {
  ASSIGN_OR_RETURN(std::optional<std::string> meta, LookupMap(map_path, kMetaKey));
  if (!meta.has_value()) return uint64_t{0};
  return Annotate(ParseMetaVersion(*meta), MapContext(map_path));
}

Result<uint64_t> RuntimeClient::NextMapVersion(std::string_view map_path) {
  ASSIGN_OR_RETURN(uint64_t current, RangeMapVersion(map_path));
  return current + 1;
}

Status RuntimeClient::AddMapEntries(
    std::string_view map_path, uint64_t generation,
    const std::vector<std::pair<std::string, std::string>>& entries) {
  const std::string header = "add map @" + std::to_string(generation) + " " +
                             std::string(map_path) + " <<\n";
  std::string command = header;
  for (const auto& [key, value] : entries) {
    std::string line = key + " " + value + "\n";
    // +1: the empty line that ends the payload.
    if (command.size() > header.size() &&
        command.size() + line.size() + 1 >= kMaxPayloadCommandBytes) {
      RETURN_IF_ERROR(Run(command));
      command = header;
    }
    command += line;
  }
  return command.size() > header.size() ? Run(command) : Status::Ok();
}

Result<uint64_t> RuntimeClient::PushRangeMap(std::string_view map_path,
                                             const std::vector<model::Segment>& segments,
                                             uint64_t version) {
  RETURN_IF_ERROR(CheckArg("map path", map_path));
  RETURN_IF_ERROR(model::ValidateSegments(segments));
  if (version == 0) {
    ASSIGN_OR_RETURN(version, NextMapVersion(map_path));
  }
  const std::string prepare = "prepare map " + std::string(map_path);
  ASSIGN_OR_RETURN(std::string prepared, Query(prepare));
  ASSIGN_OR_RETURN(uint64_t generation,
                   Annotate(ParsePrepareMap(prepared), CommandContext(prepare)));

  const std::string at = "@" + std::to_string(generation) + " " + std::string(map_path);
  Status s = AddMapEntries(map_path, generation, EncodeMapEntries(segments, version));
  if (s.ok()) s = Run("commit map " + at);
  if (!s.ok()) {
    // Free the abandoned version now rather than at the next commit; failure to do so is
    // harmless (a later commit purges it), so its result is not reported over the real error.
    (void)Run("clear map " + at);
    return Annotate(s,
                    "map version " + std::to_string(version) + " not pushed, live map unchanged");
  }
  return version;
}

Status RuntimeClient::SetSslCert(std::string_view cert_path, std::string_view pem) {
  RETURN_IF_ERROR(CheckArg("certificate path", cert_path));
  std::string payload = PemPayload(pem);
  if (payload.empty())
    return InvalidArgument("the PEM for " + std::string(cert_path) + " is empty");
  const std::string command = "set ssl cert " + std::string(cert_path);
  ASSIGN_OR_RETURN(std::string reply,
                   Annotate(socket_.Execute(command + " <<\n" + payload), CommandContext(command)));
  ASSIGN_OR_RETURN(SslCertTransaction transaction, ParseSetSslCert(cert_path, reply));
  if (transaction.path == cert_path) return Status::Ok();
  // Not ours to keep: it now holds this payload, which committing would serve for that file.
  Status aborted = AbortSslCert(transaction.path);
  return Conflict(
      "HAProxy had an ssl cert transaction open for " + transaction.path +
      " and put the payload for " + std::string(cert_path) + " into it; " +
      (aborted.ok() ? "that transaction was aborted" : "aborting it failed: " + aborted.message()));
}

Status RuntimeClient::CommitSslCert(std::string_view cert_path) {
  RETURN_IF_ERROR(CheckArg("certificate path", cert_path));
  const std::string command = "commit ssl cert " + std::string(cert_path);
  ASSIGN_OR_RETURN(std::string reply, Annotate(socket_.Execute(command), CommandContext(command)));
  return ParseCommitSslCert(cert_path, reply);
}

Status RuntimeClient::AbortSslCert(std::string_view cert_path) {
  RETURN_IF_ERROR(CheckArg("certificate path", cert_path));
  const std::string command = "abort ssl cert " + std::string(cert_path);
  ASSIGN_OR_RETURN(std::string reply, Annotate(socket_.Execute(command), CommandContext(command)));
  return ParseAbortSslCert(cert_path, reply);
}

Result<SslCertInfo> RuntimeClient::ShowSslCert(std::string_view cert_path) {
  RETURN_IF_ERROR(CheckArg("certificate path", cert_path));
  const std::string command = "show ssl cert " + std::string(cert_path);
  ASSIGN_OR_RETURN(std::string reply, Annotate(socket_.Execute(command), CommandContext(command)));
  ASSIGN_OR_RETURN(SslCertInfo info, Annotate(ParseShowSslCert(reply), CommandContext(command)));
  if (info.filename != cert_path) {
    return ProtocolError(CommandContext(command) + ": HAProxy showed " + info.filename);
  }
  return info;
}

Status RuntimeClient::ReplaceSslCert(std::string_view cert_path, std::string_view pem) {
  Status s = SetSslCert(cert_path, pem);
  // kConflict: the open transaction was another file's and SetSslCert already dealt with it.
  if (s.code() == Code::kConflict) return s;
  if (s.ok()) s = CommitSslCert(cert_path);
  if (s.ok()) return s;
  // A refused set may still leave a transaction (an update of one left open earlier), and a
  // refused commit always does: abort so that a later commit cannot serve it. Its own failure
  // (kNotFound: nothing was open) matters less than the reason the certificate was refused.
  (void)AbortSslCert(cert_path);
  return Annotate(s, "certificate " + std::string(cert_path) + " not replaced");
}

}  // namespace shardgate::haproxy
