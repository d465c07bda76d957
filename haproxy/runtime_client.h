// RuntimeClient: typed HAProxy runtime-API commands over a RuntimeSocket.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "haproxy/range_map.h"
#include "haproxy/replies.h"
#include "haproxy/runtime_socket.h"
#include "haproxy/server_stats.h"

namespace shardgate::haproxy {

// Options of a server added at run time. Dynamic servers do not inherit default-server.
struct AddServerOptions {
  int weight = 100;
  bool backup = false;
  bool check = true;  // a TCP check; runs only after EnableHealth
  std::chrono::milliseconds check_interval{1000};
  int fall = 2;
  int rise = 2;
};

// Thread-safety: as safe as the socket it wraps (each call is its own command exchange).
// The socket is not owned and must outlive the client.
class RuntimeClient {
 public:
  explicit RuntimeClient(RuntimeSocket& socket) : socket_(socket) {}

  Result<ProcessInfo> ShowInfo();
  // All backends when `backend` is empty.
  Result<std::vector<ServerState>> ShowServersState(std::string_view backend = "");
  // The names of every backend, in configuration order (`show backend`).
  Result<std::vector<std::string>> ShowBackends();
  // Every server's status, weight and open sessions (`show stat -1 4 -1`).
  Result<std::vector<ServerStat>> ShowServerStats();

  Status SetServerWeight(std::string_view backend, std::string_view server, int weight);
  // state: "ready", "drain" or "maint".
  Status SetServerState(std::string_view backend, std::string_view server, std::string_view state);
  Status SetServerAddr(std::string_view backend, std::string_view server, std::string_view addr,
                       int port);
  // The new server starts in maintenance: follow with SetServerState(ready) and EnableHealth.
  Status AddServer(std::string_view backend, std::string_view server, std::string_view addr,
                   int port, const AddServerOptions& options);
  Status EnableHealth(std::string_view backend, std::string_view server);
  // Closes every session the server holds now (`shutdown sessions server`): for a fenced
  // primary, whose open sessions must not go on writing. New connections are the state's job.
  Status ShutdownSessions(std::string_view backend, std::string_view server);
  // REQUIRES (HAProxy): the server is in maintenance and has no connections.
  Status DelServer(std::string_view backend, std::string_view server);

  // kNotFound when the key is not in the map.
  Result<std::string> GetMapValue(std::string_view map_path, std::string_view key);
  // The map's entries as `show map` lists them.
  Result<std::vector<std::pair<std::string, std::string>>> ShowMap(std::string_view map_path);
  // One entry of a map, changed at once for every reader; kNotFound for an unknown map. Add
  // appends even when the key is there (HAProxy then holds both, and Set and Del act on every
  // entry of the key), so add only keys the map lacks. Set and Del return false, changing
  // nothing, when the map holds no such key.
  Status AddMapEntry(std::string_view map_path, std::string_view key, std::string_view value);
  Result<bool> SetMapEntry(std::string_view map_path, std::string_view key, std::string_view value);
  Result<bool> DelMapEntry(std::string_view map_path, std::string_view key);
  // The version in the range map's meta entry, 0 when the map has none: one `get map`, so
  // a caller can tell whether HAProxy runs a version without reading the whole map.
  Result<uint64_t> RangeMapVersion(std::string_view map_path);
  // Reads and decodes the range map (version 0, no segments when it has no meta).
  Result<DecodedMap> ReadRangeMap(std::string_view map_path);

  // Replaces the whole range map atomically: prepare map -> add map @ver (payload commands each
  // < kMaxPayloadCommandBytes) -> commit map @ver. version 0 = current meta version + 1.
  // Returns the version pushed. Readers see the old or the new map, never a mix. On any failure
  // the prepared map version is abandoned (never committed) and the live map is untouched.
  // Errors: kInvalidArgument (segments fail model::ValidateSegments), or the failing command's
  // error. An explicit version is used as given (the controller owns its version sequence).
  Result<uint64_t> PushRangeMap(std::string_view map_path,
                                const std::vector<model::Segment>& segments, uint64_t version = 0);

  // TLS certificates. HAProxy serves a certificate from memory, loaded at start-up from the
  // file a bind names (`ssl crt <cert_path>`); these change what it serves, never the file, and
  // need a socket at `level admin`. HAProxy holds one ssl cert transaction at a time.
  //
  // Opens (or updates) the transaction of `cert_path` with `pem` (certificate, chain, private
  // key; sent as PemPayload). Nothing is served until CommitSslCert.
  // Errors: kInvalidArgument (HAProxy cannot load the PEM, or no bind loaded `cert_path`; the
  // message is HAProxy's), kConflict (a transaction for another file was open: HAProxy 2.6 puts
  // the payload into that one, so it is aborted here rather than left to serve this certificate
  // for the other file), kPermissionDenied, kProtocol (an unexpected or empty reply: HAProxy
  // answers nothing to a payload larger than its tune.bufsize).
  Status SetSslCert(std::string_view cert_path, std::string_view pem);
  // Serves the transaction's certificate on every bind that loaded `cert_path`, for new
  // handshakes; established connections keep theirs. Errors: kInvalidArgument with HAProxy's
  // message (key does not match the certificate, no key, no transaction), kConflict (the open
  // transaction is another file's), kProtocol.
  Status CommitSslCert(std::string_view cert_path);
  // Drops the open transaction of `cert_path`. kNotFound when none is open.
  Status AbortSslCert(std::string_view cert_path);
  // The certificate HAProxy serves for `cert_path` (kNotFound when no bind loaded it).
  Result<SslCertInfo> ShowSslCert(std::string_view cert_path);
  // SetSslCert then CommitSslCert; when either fails, aborts the transaction (HAProxy keeps
  // serving the old certificate) and returns the first error, which names HAProxy's reason.
  Status ReplaceSslCert(std::string_view cert_path, std::string_view pem);

  static constexpr size_t kMaxPayloadCommandBytes = 12 * 1024;

 private:
  // Executes a state-changing command and checks its reply.
  Status Run(const std::string& command);
  // Executes a command that prints data; fails on HAProxy's error sentences.
  Result<std::string> Query(const std::string& command);
  // The value of `key`, nullopt when the map has no such key.
  Result<std::optional<std::string>> LookupMap(std::string_view map_path, std::string_view key);
  // "<verb> map <file> <key>[ <value>]" for add, set and del; false when HAProxy says the map
  // holds no such key.
  Result<bool> EditMapEntry(std::string_view verb, std::string_view map_path, std::string_view key,
                            std::optional<std::string_view> value);
  // The current meta version of the map plus one (1 for a map without meta).
  Result<uint64_t> NextMapVersion(std::string_view map_path);
  // Sends the entries as "add map @<generation>" payload commands of bounded size.
  Status AddMapEntries(std::string_view map_path, uint64_t generation,
                       const std::vector<std::pair<std::string, std::string>>& entries);

  RuntimeSocket& socket_;
};

}  // namespace shardgate::haproxy
