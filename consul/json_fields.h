// Typed field access on nlohmann::json for the codec, with errors that name the field.
// Internal to consul/ (codec*.cc); DecodeFailure never leaves the codec (see Decode()).
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.h"

namespace shardgate::consul::json_fields {

using Json = nlohmann::json;

struct DecodeFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses `body` and runs `decode` on it; every parse, type or field error becomes kProtocol.
template <typename T, typename F>
Result<T> Decode(std::string_view body, F decode) {
  try {
    Json json = Json::parse(body);
    return decode(json);
  } catch (const DecodeFailure& e) {
    return ProtocolError(e.what());
  } catch (const Json::exception& e) {
    return ProtocolError(std::string("invalid JSON: ") + e.what());
  }
}

inline const Json* Find(const Json& object, const char* name) {
  if (!object.is_object()) throw DecodeFailure(std::string("expected an object holding ") + name);
  auto it = object.find(name);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

inline const Json& Require(const Json& object, const char* name) {
  const Json* value = Find(object, name);
  if (value == nullptr) throw DecodeFailure(std::string("missing field ") + name);
  return *value;
}

inline void RequireArray(const Json& value, const char* what) {
  if (!value.is_array()) throw DecodeFailure(std::string(what) + " is not a JSON array");
}

// Missing or null optional fields read as empty / zero.
inline std::string String(const Json& object, const char* name, bool required = false) {
  const Json* value = required ? &Require(object, name) : Find(object, name);
  if (value == nullptr) return "";
  if (!value->is_string()) throw DecodeFailure(std::string(name) + " is not a string");
  return value->get<std::string>();
}

inline uint64_t Uint(const Json& object, const char* name, bool required = false) {
  const Json* value = required ? &Require(object, name) : Find(object, name);
  if (value == nullptr) return 0;
  if (!value->is_number_unsigned()) {
    throw DecodeFailure(std::string(name) + " is not an unsigned integer");
  }
  return value->get<uint64_t>();
}

inline int Int(const Json& object, const char* name) {
  const Json* value = Find(object, name);
  if (value == nullptr) return 0;
  if (!value->is_number_integer()) throw DecodeFailure(std::string(name) + " is not an integer");
  return value->get<int>();
}

inline std::vector<std::string> Strings(const Json& object, const char* name) {
  std::vector<std::string> out;
  const Json* value = Find(object, name);
  if (value == nullptr) return out;
  RequireArray(*value, name);
  for (const Json& item : *value) {
    if (!item.is_string()) throw DecodeFailure(std::string(name) + " holds a non-string");
    out.push_back(item.get<std::string>());
  }
  return out;
}

inline std::map<std::string, std::string> StringMap(const Json& object, const char* name) {
  std::map<std::string, std::string> out;
  const Json* value = Find(object, name);
  if (value == nullptr) return out;
  if (!value->is_object()) throw DecodeFailure(std::string(name) + " is not an object");
  for (const auto& [key, item] : value->items()) {
    if (!item.is_string()) throw DecodeFailure(std::string(name) + "." + key + " is not a string");
    out[key] = item.get<std::string>();
  }
  return out;
}

}  // namespace shardgate::consul::json_fields
