// Admin API authentication: the tokens file, Bearer-token checks in constant time, and which
// listen hosts are loopback (binding others needs tokens).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "controller/admin_error.h"

namespace shardgate::controller {

inline constexpr size_t kMinTokenBytes = 16;

struct AdminToken {
  std::string name;         // shown in history as "who"; never the secret
  bool read_write = false;  // rw: may change; ro: may only read
  std::string secret;
};

// Empty means authentication is off (no tokens file configured).
struct TokenSet {
  std::vector<AdminToken> tokens;
};

// Parses the tokens file: one "<name> <rw|ro> <token>" per line, '#' comments and blank lines
// ignored; names [A-Za-z0-9_.-]+, tokens at least kMinTokenBytes. Errors: kInvalidArgument
// naming the line number (never the token) for a malformed line, a duplicate name or token, or a
// file with no tokens at all (which would lock every caller out).
Result<TokenSet> ParseTokens(std::string_view text);

// Who a request is, from its Authorization header: "anonymous" when `tokens` is empty, else the
// name of the token in "Bearer <token>" (scheme in any case). Every configured token is compared,
// in time that depends only on the configured tokens, so timing tells nothing about them.
// Errors: 401 unauthenticated (no header, another scheme, unknown token), 403 forbidden (an ro
// token on a `mutating` request).
AdminResult<std::string> Authorize(const TokenSet& tokens,
                                   std::optional<std::string_view> authorization_header,
                                   bool mutating);

// True for "localhost", 127.0.0.0/8 and ::1 (also written "[::1]"): hosts only this machine
// reaches.
bool IsLoopbackHost(std::string_view host);

}  // namespace shardgate::controller
