// Tokens file, Bearer checks and loopback hosts (see admin_tokens.h).
#include "controller/admin_tokens.h"

#include <arpa/inet.h>

#include <cctype>
#include <cstring>
#include <set>

#include "model/text.h"

namespace shardgate::controller {
namespace {

constexpr size_t kMaxNameBytes = 128;

std::string LineName(size_t line_no) { return "tokens file line " + std::to_string(line_no); }

Result<AdminToken> ParseTokenLine(size_t line_no, const std::vector<std::string_view>& fields) {
  if (fields.size() != 3) {
    return InvalidArgument(LineName(line_no) + ": want \"<name> <rw|ro> <token>\", got " +
                           std::to_string(fields.size()) + " fields");
  }
  if (!model::IsName(fields[0], kMaxNameBytes)) {
    return InvalidArgument(LineName(line_no) + ": name must match [A-Za-z0-9_.-]+");
  }
  if (fields[1] != "rw" && fields[1] != "ro") {
    return InvalidArgument(LineName(line_no) + ": access must be rw or ro");
  }
  if (fields[2].size() < kMinTokenBytes) {
    return InvalidArgument(LineName(line_no) + ": token is shorter than " +
                           std::to_string(kMinTokenBytes) + " bytes");
  }
  return AdminToken{std::string(fields[0]), fields[1] == "rw", std::string(fields[2])};
}

// 0 when a and b are equal; the time taken depends on a's length only (b is what the caller
// sent, a a configured token, so it leaks neither a's content nor how much of b matched).
unsigned char Differs(std::string_view a, std::string_view b) {
  volatile unsigned char diff = a.size() != b.size() ? 1 : 0;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char other = b.empty() ? 0 : static_cast<unsigned char>(b[i % b.size()]);
    diff = diff | (static_cast<unsigned char>(a[i]) ^ other);
  }
  return diff;
}

// The token of "Bearer <token>" (scheme in any case), or nullopt.
std::optional<std::string_view> BearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size() || header[kScheme.size()] != ' ') return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
  if (token.empty()) return std::nullopt;
  return token;
}

// Like model::ForEachLine, except that '#' starts a comment only at the start of a line or
// after a blank: a token may contain '#' and must never be cut short silently.
template <typename Fn>
Status ForEachTokenLine(std::string_view text, Fn fn) {
  return model::ForEachRawLine(text, [&fn](size_t line_no, std::string_view line) -> Status {
    for (size_t i = 0; i < line.size(); ++i) {
      if (line[i] == '#' && (i == 0 || model::IsBlank(line[i - 1]))) {
        line = line.substr(0, i);
        break;
      }
    }
    return fn(line_no, line);
  });
}

AdminError Unauthenticated(std::string message) {
  return AdminError{401, "unauthenticated", std::move(message), ""};
}

}  // namespace

Result<TokenSet> ParseTokens(std::string_view text) {
  TokenSet set;
  std::set<std::string> names;
  std::set<std::string> secrets;
  Status parsed = ForEachTokenLine(text, [&](size_t line_no, std::string_view line) -> Status {
    std::vector<std::string_view> fields = model::Fields(line);
    if (fields.empty()) return Status::Ok();
    ASSIGN_OR_RETURN(AdminToken token, ParseTokenLine(line_no, fields));
    if (!names.insert(token.name).second) {
      return InvalidArgument(LineName(line_no) + ": name " + token.name + " is already used");
    }
    if (!secrets.insert(token.secret).second) {
      return InvalidArgument(LineName(line_no) + ": the token is already used by another name");
    }
    set.tokens.push_back(std::move(token));
    return Status::Ok();
  });
  RETURN_IF_ERROR(parsed);
  if (set.tokens.empty()) return InvalidArgument("tokens file: no tokens");
  return set;
}

AdminResult<std::string> Authorize(const TokenSet& tokens,
                                   std::optional<std::string_view> authorization_header,
                                   bool mutating) {
  if (tokens.tokens.empty()) return std::string("anonymous");
  if (!authorization_header) return Unauthenticated("an Authorization: Bearer token is required");
  std::optional<std::string_view> presented = BearerToken(*authorization_header);
  if (!presented) return Unauthenticated("the Authorization header is not \"Bearer <token>\"");
  // Compare against every token without stopping at a match.
  const AdminToken* match = nullptr;
  for (const AdminToken& token : tokens.tokens) {
    bool equal = Differs(token.secret, *presented) == 0;
    match = equal ? &token : match;
  }
  if (match == nullptr) return Unauthenticated("the token is not valid");
  if (mutating && !match->read_write) {
    return AdminError{403, "forbidden", "token " + match->name + " is read-only (ro)", ""};
  }
  return match->name;
}

bool IsLoopbackHost(std::string_view host) {
  std::string lower(host);
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "localhost") return true;
  if (lower.size() >= 2 && lower.front() == '[' && lower.back() == ']') {
    lower = lower.substr(1, lower.size() - 2);
  }
  in_addr v4{};
  if (inet_pton(AF_INET, lower.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, lower.c_str(), &v6) == 1) {
    return std::memcmp(&v6, &in6addr_loopback, sizeof(v6)) == 0;
  }
  return false;
}

}  // namespace shardgate::controller
