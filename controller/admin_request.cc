// Admin API request parsing (see admin_request.h): strict, and every error names its field.
#include "controller/admin_request.h"

#include <cctype>
#include <cmath>
#include <initializer_list>
#include <limits>

#include <nlohmann/json.hpp>

#include "common/duration.h"
#include "common/numbers.h"
#include "model/range.h"

namespace shardgate::controller {
namespace {

using Json = nlohmann::json;

constexpr std::string_view kRangeField = "partition_key_range";

// A JSON value for a message: short, and never throwing on invalid UTF-8.
std::string Shown(const Json& value) {
  constexpr size_t kMaxShown = 64;
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (text.size() > kMaxShown) text = text.substr(0, kMaxShown) + "...";
  return text;
}

std::string Quoted(std::string_view text) { return Shown(Json(std::string(text))); }

enum class IntRead { kOk, kNotInteger, kOutOfRange };

// Reads a JSON integer as int64. nlohmann keeps integers beyond uint64 (and negative ones beyond
// int64) as doubles, so a whole double of magnitude >= 2^63 is an out-of-range integer too.
IntRead JsonToInt64(const Json& value, int64_t* out) {
  if (value.is_number_unsigned()) {
    uint64_t u = value.get<uint64_t>();
    if (u > uint64_t(std::numeric_limits<int64_t>::max())) return IntRead::kOutOfRange;
    *out = int64_t(u);
    return IntRead::kOk;
  }
  if (value.is_number_integer()) {
    *out = value.get<int64_t>();
    return IntRead::kOk;
  }
  if (value.is_number_float()) {
    constexpr double kTwo63 = 9223372036854775808.0;
    double d = value.get<double>();
    if (std::isfinite(d) && std::trunc(d) == d && (d >= kTwo63 || d <= -kTwo63)) {
      return IntRead::kOutOfRange;
    }
  }
  return IntRead::kNotInteger;
}

// The end of the bound "-?[0-9]+" starting at `i`, or npos when there is none.
size_t BoundEnd(std::string_view text, size_t i) {
  if (i < text.size() && text[i] == '-') ++i;
  size_t digits = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  return i == digits ? std::string_view::npos : i;
}

AdminError RangeError(std::string code, std::string message) {
  return BadRequest(std::move(code), std::string(kRangeField) + " " + message,
                    std::string(kRangeField));
}

AdminResult<KeyRange> CheckOrder(KeyRange range) {
  if (range.lo > range.hi) {
    return RangeError("range_order",
                      "has lo " + std::to_string(range.lo) + " > hi " + std::to_string(range.hi));
  }
  return range;
}

AdminError RangeSyntax(std::string_view text) {
  return RangeError("invalid_range",
                    Quoted(text) + " is not \"<lo>-<hi>\" or \"<key>\" (decimal integers)");
}

AdminResult<KeyRange> ParseRangeText(std::string_view text) {
  size_t first_end = BoundEnd(text, 0);
  if (first_end == std::string_view::npos) return RangeSyntax(text);
  std::string_view lo = text.substr(0, first_end);
  std::string_view hi = lo;
  if (first_end != text.size()) {
    if (text[first_end] != '-') return RangeSyntax(text);
    if (BoundEnd(text, first_end + 1) != text.size()) return RangeSyntax(text);
    hi = text.substr(first_end + 1);
  }
  KeyRange range;
  if (!ParseInteger(lo, &range.lo) || !ParseInteger(hi, &range.hi)) {
    return RangeError("out_of_range",
                      Quoted(text) + " has a bound outside the signed 64-bit range");
  }
  return CheckOrder(range);
}

AdminResult<int64_t> RangeBound(const Json& object, const char* name) {
  auto it = object.find(name);
  if (it == object.end()) return RangeError("invalid_range", std::string("object has no ") + name);
  int64_t value = 0;
  switch (JsonToInt64(*it, &value)) {
    case IntRead::kOk: return value;
    case IntRead::kOutOfRange:
      return RangeError("out_of_range", std::string(name) + " " + Shown(*it) +
                                            " is outside the signed 64-bit range");
    case IntRead::kNotInteger: break;
  }
  return RangeError("invalid_type", std::string(name) + " " + Shown(*it) + " is not an integer");
}

AdminResult<KeyRange> ParseRangeObject(const Json& object) {
  for (const auto& item : object.items()) {
    if (item.key() != "lo" && item.key() != "hi") {
      return RangeError("invalid_range", "object takes only lo and hi, not " + Quoted(item.key()));
    }
  }
  AdminResult<int64_t> lo = RangeBound(object, "lo");
  if (!lo.ok()) return lo.error();
  AdminResult<int64_t> hi = RangeBound(object, "hi");
  if (!hi.ok()) return hi.error();
  return CheckOrder({*lo, *hi});
}

// The first member of `object` not in `known`, as an unknown_field error.
std::optional<AdminError> UnknownField(const Json& object,
                                       std::initializer_list<std::string_view> known) {
  for (const auto& item : object.items()) {
    bool found = false;
    for (std::string_view name : known) found = found || item.key() == name;
    if (!found) {
      return BadRequest("unknown_field", "unknown field " + Quoted(item.key()), item.key());
    }
  }
  return std::nullopt;
}

// Optional "reason": absent or null is empty.
AdminResult<std::string> Reason(const Json& object) {
  auto it = object.find("reason");
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) {
    return BadRequest("invalid_reason", "reason " + Shown(*it) + " is not a string", "reason");
  }
  std::string reason = it->get<std::string>();
  if (reason.size() > kMaxReasonBytes) {
    return BadRequest("invalid_reason",
                      "reason has " + std::to_string(reason.size()) + " bytes, more than " +
                          std::to_string(kMaxReasonBytes),
                      "reason");
  }
  return reason;
}

// Optional "force": absent is false.
AdminResult<bool> Force(const Json& object) {
  auto it = object.find("force");
  if (it == object.end()) return false;
  if (!it->is_boolean()) {
    return BadRequest("invalid_type", "force " + Shown(*it) + " is not true or false", "force");
  }
  return it->get<bool>();
}

// Optional "ttl": absent or null is permanent.
AdminResult<std::optional<int64_t>> Ttl(const Json& object) {
  auto it = object.find("ttl");
  if (it == object.end() || it->is_null()) return std::optional<int64_t>();
  int64_t ttl = 0;
  if (JsonToInt64(*it, &ttl) != IntRead::kOk || ttl < 1 || ttl > kMaxTtlSeconds) {
    return BadRequest("invalid_ttl",
                      "ttl " + Shown(*it) + " is not a whole number of seconds in 1.." +
                          std::to_string(kMaxTtlSeconds) + " (or null for a permanent rule)",
                      "ttl");
  }
  return std::optional<int64_t>(ttl);
}

AdminResult<std::string> TargetBackend(const Json& object) {
  auto it = object.find("target_backend");
  if (it == object.end()) {
    return BadRequest("missing_field", "target_backend is required", "target_backend");
  }
  if (!it->is_string()) {
    return BadRequest("invalid_type", "target_backend " + Shown(*it) + " is not a string",
                      "target_backend");
  }
  std::string shard = it->get<std::string>();
  if (!model::IsShardName(shard)) {
    return AdminError{409, "unknown_shard",
                      "target_backend " + Quoted(shard) +
                          " is not a shard name ([A-Za-z0-9_.-]+, at most 128 bytes)",
                      "target_backend"};
  }
  return shard;
}

// ParseRuleInput without the `where` prefix.
AdminResult<RuleInput> RuleFields(const Json& value, bool allow_force) {
  if (!value.is_object()) return BadRequest("invalid_type", "rule is not a JSON object");
  std::optional<AdminError> unknown =
      allow_force ? UnknownField(value, {kRangeField, "target_backend", "ttl", "reason", "force"})
                  : UnknownField(value, {kRangeField, "target_backend", "ttl", "reason"});
  if (unknown) return *unknown;
  auto range_it = value.find(kRangeField);
  if (range_it == value.end()) {
    return BadRequest("missing_field", "partition_key_range is required", std::string(kRangeField));
  }
  AdminResult<KeyRange> range = ParseKeyRange(*range_it);
  if (!range.ok()) return range.error();
  AdminResult<std::string> shard = TargetBackend(value);
  if (!shard.ok()) return shard.error();
  AdminResult<std::optional<int64_t>> ttl = Ttl(value);
  if (!ttl.ok()) return ttl.error();
  AdminResult<std::string> reason = Reason(value);
  if (!reason.ok()) return reason.error();
  AdminResult<bool> force = Force(value);
  if (!force.ok()) return force.error();
  return RuleInput{range->lo, range->hi, std::move(*shard), *ttl, std::move(*reason), *force};
}

// Parses a request body that must be a JSON object.
AdminResult<Json> ParseObject(std::string_view body) {
  Json doc = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return BadRequest("invalid_json", "the body is not valid JSON");
  if (!doc.is_object()) return BadRequest("invalid_json", "the body is not a JSON object");
  return doc;
}

AdminError QueryError(std::string_view name, std::string message) {
  return BadRequest("invalid_query", "query parameter " + std::string(name) + ": " + message,
                    std::string(name));
}

AdminResult<Millis> WaitTimeout(std::string_view text) {
  Result<std::chrono::nanoseconds> parsed = ParseGoDuration(text);
  const std::string want = "want a duration such as 250ms, 5s or 1m, above 0 and at most 60s";
  if (!parsed.ok()) return QueryError("timeout", Quoted(text) + ": " + want);
  if (*parsed <= std::chrono::nanoseconds::zero() || *parsed > kMaxWaitTimeout) {
    return QueryError("timeout", Quoted(text) + ": " + want);
  }
  return std::chrono::ceil<Millis>(*parsed);
}

std::string_view TrimBlanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

AdminResult<KeyRange> ParseKeyRange(const Json& value) {
  if (value.is_string()) return ParseRangeText(value.get_ref<const std::string&>());
  if (value.is_object()) return ParseRangeObject(value);
  return RangeError("invalid_type",
                    Shown(value) +
                        " is neither a \"<lo>-<hi>\" string nor a {\"lo\",\"hi\"} object");
}

AdminResult<RuleInput> ParseRuleInput(const Json& value, bool allow_force, std::string_view where) {
  AdminResult<RuleInput> input = RuleFields(value, allow_force);
  if (input.ok() || where.empty()) return input;
  AdminError error = input.error();
  std::string prefix(where);
  error.message = prefix + error.message;
  if (error.field.empty()) {
    error.field = prefix.substr(0, prefix.size() - (prefix.back() == '.' ? 1 : 0));
  } else {
    error.field = prefix + error.field;
  }
  return error;
}

AdminResult<RuleInput> ParseAddBody(std::string_view body) {
  AdminResult<Json> doc = ParseObject(body);
  if (!doc.ok()) return doc.error();
  return ParseRuleInput(*doc, /*allow_force=*/true);
}

AdminResult<PutInput> ParsePutBody(std::string_view body) {
  AdminResult<Json> doc = ParseObject(body);
  if (!doc.ok()) return doc.error();
  if (auto unknown = UnknownField(*doc, {"rules", "reason", "force"})) return *unknown;
  auto rules = doc->find("rules");
  if (rules == doc->end()) return BadRequest("missing_field", "rules is required", "rules");
  if (!rules->is_array()) {
    return BadRequest("invalid_type", "rules " + Shown(*rules) + " is not an array", "rules");
  }
  PutInput put;
  put.rules.reserve(rules->size());
  for (size_t i = 0; i < rules->size(); ++i) {
    std::string where = "rules[" + std::to_string(i) + "].";
    AdminResult<RuleInput> rule = ParseRuleInput((*rules)[i], /*allow_force=*/false, where);
    if (!rule.ok()) return rule.error();
    put.rules.push_back(std::move(*rule));
  }
  AdminResult<std::string> reason = Reason(*doc);
  if (!reason.ok()) return reason.error();
  AdminResult<bool> force = Force(*doc);
  if (!force.ok()) return force.error();
  put.reason = std::move(*reason);
  put.force = *force;
  return put;
}

AdminResult<RollbackInput> ParseRollbackBody(std::string_view body) {
  AdminResult<Json> doc = ParseObject(body);
  if (!doc.ok()) return doc.error();
  if (auto unknown = UnknownField(*doc, {"version", "reason"})) return *unknown;
  auto version = doc->find("version");
  if (version == doc->end()) return BadRequest("missing_field", "version is required", "version");
  if (!version->is_number_unsigned() || version->get<uint64_t>() == 0) {
    return BadRequest("invalid_type", "version " + Shown(*version) + " is not a positive integer",
                      "version");
  }
  AdminResult<std::string> reason = Reason(*doc);
  if (!reason.ok()) return reason.error();
  return RollbackInput{version->get<uint64_t>(), std::move(*reason)};
}

AdminResult<ChangeQuery> ParseChangeQuery(const std::map<std::string, std::string>& query) {
  ChangeQuery out;
  for (const auto& [name, value] : query) {
    if (name == "dry_run") {
      if (value != "true" && value != "false" && value != "1" && value != "0") {
        return QueryError(name, Quoted(value) + ": want true, false, 1 or 0");
      }
      out.dry_run = value == "true" || value == "1";
    } else if (name == "wait") {
      if (value != "applied") return QueryError(name, Quoted(value) + ": the only wait is applied");
      out.wait_applied = true;
    } else if (name == "timeout") {
      AdminResult<Millis> timeout = WaitTimeout(value);
      if (!timeout.ok()) return timeout.error();
      out.timeout = *timeout;
    } else {
      return QueryError(name, "unknown (a change takes dry_run, wait and timeout)");
    }
  }
  return out;
}

AdminResult<size_t> ParseLimit(const std::map<std::string, std::string>& query,
                               size_t default_limit, size_t max_limit) {
  size_t limit = default_limit;
  for (const auto& [name, value] : query) {
    if (name != "limit") return QueryError(name, "unknown (this endpoint takes limit)");
    if (!ParseInteger(value, &limit) || limit < 1 || limit > max_limit) {
      return QueryError(name,
                        Quoted(value) + ": want an integer in 1.." + std::to_string(max_limit));
    }
  }
  return limit;
}

AdminResult<IfMatch> ParseIfMatch(const std::optional<std::string>& header) {
  if (!header) return IfMatch{};
  std::string_view text = TrimBlanks(*header);
  if (text == "*") return IfMatch{IfMatch::Kind::kAny, 0};
  std::string_view tag = text;
  if (tag.substr(0, 2) == "W/") tag.remove_prefix(2);
  if (tag.size() >= 2 && tag.front() == '"' && tag.back() == '"') {
    tag = tag.substr(1, tag.size() - 2);
  }
  IfMatch out{IfMatch::Kind::kVersion, 0};
  if (!ParseInteger(tag, &out.version)) {
    return BadRequest("invalid_if_match",
                      "If-Match " + Quoted(text) + " is not \"<version>\", <version> or *",
                      "If-Match");
  }
  return out;
}

std::optional<AdminError> CheckJsonContentType(const std::optional<std::string>& content_type) {
  std::string media;
  if (content_type) {
    std::string_view text = *content_type;
    media = std::string(TrimBlanks(text.substr(0, text.find(';'))));
    for (char& c : media) c = char(std::tolower(static_cast<unsigned char>(c)));
  }
  if (media == "application/json") return std::nullopt;
  return AdminError{415, "unsupported_media_type",
                    "Content-Type " + (content_type ? Quoted(*content_type) : "(none)") +
                        " is not application/json",
                    "Content-Type"};
}

}  // namespace shardgate::controller
