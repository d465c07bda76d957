// Go-compatible request decoding (see http_decode.h).
#include "dev/consul/http_decode.h"

#include <cctype>

#include "common/duration.h"

namespace shardgate::consul::dev {
namespace {

std::string Fold(std::string_view name, bool drop_underscores) {
  std::string out;
  for (char c : name) {
    if (drop_underscores && c == '_') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::string JsonTypeName(const nlohmann::json& v) {
  if (v.is_string()) return "string";
  if (v.is_number()) return "number";
  if (v.is_boolean()) return "bool";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}

}  // namespace

Result<Fields> Fields::Match(const nlohmann::json& object, std::span<const std::string_view> known,
                             bool snake_case, std::string go_struct) {
  Fields f;
  f.go_struct_ = std::move(go_struct);
  if (!object.is_object()) {
    return InvalidArgument("json: cannot unmarshal " + JsonTypeName(object) +
                           " into Go value of type " + f.go_struct_);
  }
  for (auto it = object.begin(); it != object.end(); ++it) {
    const std::string folded = Fold(it.key(), snake_case);
    std::string_view canonical;
    for (std::string_view k : known) {
      if (Fold(k, false) == folded) canonical = k;
    }
    if (canonical.empty()) return InvalidArgument("json: unknown field \"" + it.key() + "\"");
    f.values_[std::string(canonical)] = &it.value();
  }
  return f;
}

bool Fields::Has(std::string_view name) const {
  auto it = values_.find(name);
  return it != values_.end() && !it->second->is_null();
}

const nlohmann::json& Fields::Raw(std::string_view name) const {
  return *values_.find(name)->second;
}

Status Fields::TypeError(std::string_view name, std::string_view go_type) const {
  return InvalidArgument("json: cannot unmarshal " + JsonTypeName(Raw(name)) +
                         " into Go struct field " + go_struct_ + "." + std::string(name) +
                         " of type " + std::string(go_type));
}

Result<std::string> Fields::String(std::string_view name) const {
  if (!Has(name)) return std::string();
  if (!Raw(name).is_string()) return TypeError(name, "string");
  return Raw(name).get<std::string>();
}

Result<int64_t> Fields::Int(std::string_view name) const {
  if (!Has(name)) return int64_t{0};
  if (!Raw(name).is_number_integer()) return TypeError(name, "int");
  return Raw(name).get<int64_t>();
}

Result<bool> Fields::Bool(std::string_view name) const {
  if (!Has(name)) return false;
  if (!Raw(name).is_boolean()) return TypeError(name, "bool");
  return Raw(name).get<bool>();
}

Result<std::vector<std::string>> Fields::StringList(std::string_view name) const {
  std::vector<std::string> out;
  if (!Has(name)) return out;
  if (!Raw(name).is_array()) return TypeError(name, "[]string");
  for (const auto& v : Raw(name)) {
    if (!v.is_string()) return TypeError(name, "[]string");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::map<std::string, std::string>> Fields::StringMap(std::string_view name) const {
  std::map<std::string, std::string> out;
  if (!Has(name)) return out;
  if (!Raw(name).is_object()) return TypeError(name, "map[string]string");
  for (auto it = Raw(name).begin(); it != Raw(name).end(); ++it) {
    if (!it.value().is_string()) return TypeError(name, "map[string]string");
    out[it.key()] = it.value().get<std::string>();
  }
  return out;
}

Result<Nanos> Fields::Duration(std::string_view name) const {
  if (!Has(name)) return Nanos(0);
  const nlohmann::json& v = Raw(name);
  if (v.is_number_integer()) return Nanos(v.get<int64_t>());
  if (!v.is_string()) return TypeError(name, "time.Duration");
  return ParseGoDuration(v.get<std::string>());
}

Result<nlohmann::json> ParseJsonBody(const std::string& body) {
  try {
    return nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) return InvalidArgument("EOF");
    return InvalidArgument("invalid character at byte " + std::to_string(e.byte) +
                           " looking for beginning of value");
  }
}

}  // namespace shardgate::consul::dev
