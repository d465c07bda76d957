// Admin API request parsing: bodies, query parameters and headers into values, or the
// AdminError (400/415) that names the offending field. No I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/clock.h"
#include "controller/admin_error.h"

namespace shardgate::controller {

inline constexpr int64_t kMaxTtlSeconds = 31'536'000;  // one year
inline constexpr size_t kMaxReasonBytes = 512;

struct KeyRange {
  int64_t lo = 0;  // inclusive
  int64_t hi = 0;  // inclusive
  bool operator==(const KeyRange&) const = default;
};

// partition_key_range: the string "<lo>-<hi>" or "<k>" (each bound an optional '-' then decimal
// digits; nothing else, no blanks, no '+') or the object {"lo": <int>, "hi": <int>}.
// Errors (field "partition_key_range"): invalid_type (neither string nor object, a bound that is
// not a JSON integer), invalid_range (syntax, object keys other than lo and hi), out_of_range (a
// bound outside int64), range_order (lo > hi).
AdminResult<KeyRange> ParseKeyRange(const nlohmann::json& value);

// One rule as the operator sends it (POST body, or one element of PUT's "rules").
struct RuleInput {
  int64_t lo = 0;
  int64_t hi = 0;
  std::string shard;                   // target_backend, a valid shard name
  std::optional<int64_t> ttl_seconds;  // none: permanent; else 1..kMaxTtlSeconds
  std::string reason;
  bool force = false;  // only where allow_force
  bool operator==(const RuleInput&) const = default;
};

// Reads a rule input object. `where` prefixes every error field ("rules[3]." gives
// "rules[3].ttl"). Errors: invalid_type (not an object, target_backend not a string, force not a
// bool), unknown_field (also "force" when !allow_force), missing_field (partition_key_range,
// target_backend), the ParseKeyRange errors, unknown_shard (409: target_backend is not a shard
// name at all, so no shard Consul knows), invalid_ttl, invalid_reason.
AdminResult<RuleInput> ParseRuleInput(const nlohmann::json& value, bool allow_force,
                                      std::string_view where = "");

// POST /api/v1/routing-map: one rule input with "force". Errors: invalid_json (not JSON or not
// an object), then those of ParseRuleInput.
AdminResult<RuleInput> ParseAddBody(std::string_view body);

// PUT /api/v1/routing-map: {"rules": [rule input without force, ...], "reason", "force"}.
struct PutInput {
  std::vector<RuleInput> rules;
  std::string reason;
  bool force = false;
};
// Errors: invalid_json, unknown_field, missing_field ("rules"), invalid_type ("rules" not an
// array, "rules[i]" not an object, force not a bool), invalid_reason, and each rule's errors with
// fields such as "rules[17].partition_key_range".
AdminResult<PutInput> ParsePutBody(std::string_view body);

// POST /api/v1/routing-map/rollback: {"version": <integer >= 1>, "reason"}.
struct RollbackInput {
  uint64_t version = 0;
  std::string reason;
};
// Errors: invalid_json, unknown_field, missing_field ("version"), invalid_type ("version" not a
// positive integer), invalid_reason.
AdminResult<RollbackInput> ParseRollbackBody(std::string_view body);

inline constexpr Millis kDefaultWaitTimeout{5'000};
inline constexpr Millis kMaxWaitTimeout{60'000};

// The query of any change: ?dry_run=true|false|1|0&wait=applied&timeout=<Go duration>.
struct ChangeQuery {
  bool dry_run = false;
  bool wait_applied = false;
  Millis timeout = kDefaultWaitTimeout;  // > 0 and <= kMaxWaitTimeout, sub-milliseconds up
  bool operator==(const ChangeQuery&) const = default;
};
// Errors: invalid_query naming the parameter (also any parameter other than these three).
AdminResult<ChangeQuery> ParseChangeQuery(const std::map<std::string, std::string>& query);

// GET /api/v1/routing-map/versions?limit=<n>: n in 1..max_limit, default_limit when absent.
// Errors: invalid_query naming "limit" or any other parameter.
AdminResult<size_t> ParseLimit(const std::map<std::string, std::string>& query,
                               size_t default_limit = 50, size_t max_limit = 1000);

// If-Match on a change: absent, "*" (any version) or one version, written "7", 7 or W/"7".
struct IfMatch {
  enum class Kind { kNone, kAny, kVersion };
  Kind kind = Kind::kNone;
  uint64_t version = 0;  // for kVersion
  bool operator==(const IfMatch&) const = default;
};
// Errors: invalid_if_match (field "If-Match") for anything else, lists included.
AdminResult<IfMatch> ParseIfMatch(const std::optional<std::string>& header);

// A body-carrying request must say Content-Type: application/json (any case, parameters such as
// "; charset=utf-8" allowed). Returns the 415 unsupported_media_type otherwise, absent included.
std::optional<AdminError> CheckJsonContentType(const std::optional<std::string>& content_type);

}  // namespace shardgate::controller
