// Parsers of HAProxy 2.6 runtime-API replies: pure functions over captured text
// (haproxy/testdata/).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "haproxy/server_state.h"

namespace shardgate::haproxy {

// From `show info`: Pid and Uptime_sec change when HAProxy restarts (the controller resyncs).
struct ProcessInfo {
  int pid = 0;
  int64_t uptime_sec = 0;
  std::string version;
};

// One line of `show servers state` (format version 1).
struct ServerState {
  int backend_id = 0;
  std::string backend;
  int server_id = 0;
  std::string server;
  std::string addr;
  int port = 0;
  OpState op_state = OpState::kStopped;  // srv_op_state
  AdminState admin_state;                // srv_admin_state
  int weight = 0;                        // current user weight (srv_uweight)
  int initial_weight = 0;
  int check_status = 0;
  int check_result = 0;
  int check_health = 0;
  int check_state = 0;
  std::string fqdn;  // "-" when none
};

// From `show ssl cert <file>`: the certificate HAProxy serves from that file.
struct SslCertInfo {
  std::string filename;
  std::string status;      // "Used" (a bind serves it) or "Unused"
  std::string serial;      // hexadecimal, as HAProxy prints it ("03E9")
  std::string not_before;  // "Nov 30 19:00:27 2026 GMT"
  std::string not_after;
  std::string subject;  // "/CN=db.example.com"
  std::string issuer;
  std::string sha1_fingerprint;
};

// What `set ssl cert <file> <<` did: the file whose transaction HAProxy created (none was open)
// or updated. HAProxy 2.6 names another file when a transaction for that one was open: it put
// the payload into that transaction, so callers must compare `path` with the file they sent.
struct SslCertTransaction {
  std::string path;
  bool created = false;
};

// Pure reply parsers (tested with captured HAProxy 2.6 replies in haproxy/testdata/).
Result<ProcessInfo> ParseShowInfo(std::string_view reply);
// Refuses (kProtocol, quoting the line) an srv_op_state or srv_admin_state HAProxy 2.6 does not
// define, as well as short lines and non-numeric fields.
Result<std::vector<ServerState>> ParseServersState(std::string_view reply);
// `show backend`: "# name" then one backend name per line. kProtocol (quoting the line) without
// that header or for a line that is not one name.
Result<std::vector<std::string>> ParseShowBackend(std::string_view reply);
// `show map <file>` lines "<ref> <key> <value>" -> (key, value) pairs.
Result<std::vector<std::pair<std::string, std::string>>> ParseShowMap(std::string_view reply);
// `prepare map` -> "New version created: <n>".
Result<uint64_t> ParsePrepareMap(std::string_view reply);
// `get map <file> <key>` -> the value, or nullopt when HAProxy says "found=no".
Result<std::optional<std::string>> ParseGetMap(std::string_view reply);
// True for HAProxy's answer to `set map` / `del map` of a key the map does not hold.
bool IsMissingMapKeyReply(std::string_view reply);
// The `set/commit/abort ssl cert` replies. HAProxy's refusals ("unable to load certificate ...
// Can't update <file>!", "inconsistencies between private key and certificate ... Can't commit
// <file>!") become kInvalidArgument carrying HAProxy's whole message; a transaction open for
// another file is kConflict; "Permission denied" kPermissionDenied ("level admin" is needed);
// anything else, an empty reply included, is kProtocol naming the reply that was expected.
// `path` (the file sent) only names the command in messages.
Result<SslCertTransaction> ParseSetSslCert(std::string_view path, std::string_view reply);
// "Committing <file>" (a dot per bind that uses it), then "Success!"; <file> must be `path`.
Status ParseCommitSslCert(std::string_view path, std::string_view reply);
// "Transaction aborted for certificate '<file>'!"; "No ongoing transaction!" is kNotFound.
Status ParseAbortSslCert(std::string_view path, std::string_view reply);
// kNotFound for "Can't display the certificate: Not found ..."; kProtocol without Filename,
// Serial or notAfter.
Result<SslCertInfo> ParseShowSslCert(std::string_view reply);
// Checks the reply of a state-changing command: empty or a known success sentence is ok;
// HAProxy's error sentences become kInvalidArgument/kNotFound/kProtocol naming command and reply.
Status CheckCommandReply(std::string_view command, std::string_view reply);
// For commands that print data: an error only when the reply is one of HAProxy's error sentences
// ("No such ...", "Unknown map identifier", "Unknown command", "Permission denied").
Status CheckQueryReply(std::string_view command, std::string_view reply);

}  // namespace shardgate::haproxy
