// Consul JSON bodies for KV and transactions.
#include "consul/codec.h"

#include "common/base64.h"
#include "consul/json_fields.h"

namespace shardgate::consul {
namespace {

using namespace json_fields;  // NOLINT: internal helpers, .cc only

KvEntry KvEntryFromJson(const Json& json) {
  KvEntry entry;
  entry.key = String(json, "Key", /*required=*/true);
  entry.flags = Uint(json, "Flags");
  entry.lock_index = Uint(json, "LockIndex");
  entry.create_index = Uint(json, "CreateIndex");
  entry.modify_index = Uint(json, "ModifyIndex", /*required=*/true);
  entry.session = String(json, "Session");
  std::string encoded = String(json, "Value");  // null = empty value
  Result<std::string> value = Base64Decode(encoded);
  if (!value.ok()) {
    throw DecodeFailure("Value of " + entry.key +
                        " is invalid base64: " + value.status().message());
  }
  entry.value = std::move(value).value();
  return entry;
}

bool VerbCarriesValue(TxnVerb verb) {
  return verb == TxnVerb::kSet || verb == TxnVerb::kCas || verb == TxnVerb::kLock ||
         verb == TxnVerb::kUnlock;
}

bool VerbCarriesIndex(TxnVerb verb) {
  return verb == TxnVerb::kCas || verb == TxnVerb::kCheckIndex || verb == TxnVerb::kDeleteCas;
}

}  // namespace

Result<std::vector<KvEntry>> DecodeKvEntries(std::string_view body) {
  return Decode<std::vector<KvEntry>>(body, [](const Json& json) {
    RequireArray(json, "KV response");
    std::vector<KvEntry> entries;
    for (const Json& item : json) entries.push_back(KvEntryFromJson(item));
    return entries;
  });
}

Result<std::vector<std::string>> DecodeKeys(std::string_view body) {
  return Decode<std::vector<std::string>>(body, [](const Json& json) {
    RequireArray(json, "keys response");
    std::vector<std::string> keys;
    for (const Json& item : json) {
      if (!item.is_string()) throw DecodeFailure("keys response holds a non-string");
      keys.push_back(item.get<std::string>());
    }
    return keys;
  });
}

Result<bool> DecodeBool(std::string_view body) {
  return Decode<bool>(body, [](const Json& json) {
    if (!json.is_boolean()) throw DecodeFailure("expected true or false");
    return json.get<bool>();
  });
}

std::string EncodeTxnOps(const std::vector<TxnOp>& ops) {
  Json array = Json::array();
  for (const TxnOp& op : ops) {
    Json kv = {{"Verb", TxnVerbName(op.verb)}, {"Key", op.key}};
    if (VerbCarriesValue(op.verb)) kv["Value"] = Base64Encode(op.value);
    if (op.flags != 0) kv["Flags"] = op.flags;
    if (VerbCarriesIndex(op.verb)) kv["Index"] = op.index;
    if (!op.session.empty()) kv["Session"] = op.session;
    array.push_back(Json{{"KV", std::move(kv)}});
  }
  return array.dump();
}

Result<TxnResult> DecodeTxnResult(std::string_view body, bool applied) {
  return Decode<TxnResult>(body, [applied](const Json& json) {
    TxnResult result;
    result.applied = applied;
    if (const Json* results = Find(json, "Results")) {
      RequireArray(*results, "Results");
      for (const Json& item : *results) {
        if (const Json* kv = Find(item, "KV")) result.results.push_back(KvEntryFromJson(*kv));
      }
    }
    if (const Json* errors = Find(json, "Errors")) {
      RequireArray(*errors, "Errors");
      for (const Json& item : *errors) {
        result.errors.push_back(
            TxnError{static_cast<int>(Uint(item, "OpIndex")), String(item, "What")});
      }
    }
    if (!applied && result.errors.empty()) throw DecodeFailure("rolled back without Errors");
    return result;
  });
}

}  // namespace shardgate::consul
