// Request-body decoding with Go's rules: case-insensitive field names (plus snake_case where
// Consul translates keys), unknown fields rejected, Go-style error texts.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "dev/consul/types.h"

namespace shardgate::consul::dev {

// The fields of one JSON object, matched against a Go struct's field names.
class Fields {
 public:
  // InvalidArgument `json: unknown field "X"` for a field not in `known`; with `snake_case`,
  // "enable_tag_override" matches "EnableTagOverride". `go_struct` names the struct in type
  // errors ("structs.ServiceDefinition").
  static Result<Fields> Match(const nlohmann::json& object, std::span<const std::string_view> known,
                              bool snake_case, std::string go_struct);
  static Result<Fields> Match(const nlohmann::json& object,
                              std::initializer_list<std::string_view> known, bool snake_case,
                              std::string go_struct) {
    return Match(object, std::span<const std::string_view>(known.begin(), known.size()), snake_case,
                 std::move(go_struct));
  }

  bool Has(std::string_view name) const;
  // Each getter: absent or null gives the default; a wrong JSON type gives
  // `json: cannot unmarshal <type> into Go struct field <struct>.<name> of type <go type>`.
  Result<std::string> String(std::string_view name) const;
  Result<int64_t> Int(std::string_view name) const;
  Result<bool> Bool(std::string_view name) const;
  Result<std::vector<std::string>> StringList(std::string_view name) const;
  Result<std::map<std::string, std::string>> StringMap(std::string_view name) const;
  // A duration given as a Go duration string or as integer nanoseconds.
  Result<Nanos> Duration(std::string_view name) const;
  // REQUIRES: Has(name).
  const nlohmann::json& Raw(std::string_view name) const;

 private:
  Status TypeError(std::string_view name, std::string_view go_type) const;

  std::map<std::string, const nlohmann::json*, std::less<>> values_;
  std::string go_struct_;
};

// Parses a body as JSON; InvalidArgument with a Go-like message when it is not JSON.
Result<nlohmann::json> ParseJsonBody(const std::string& body);

}  // namespace shardgate::consul::dev
