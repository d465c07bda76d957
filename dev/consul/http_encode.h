// JSON shapes of Consul's responses (field names and order as real Consul sends them).
#pragma once

#include "dev/consul/catalog.h"
#include "dev/consul/http_api.h"
#include "dev/consul/txn.h"
#include "dev/consul/types.h"

namespace shardgate::consul::dev {

inline constexpr const char* kNodeAddress = "127.0.0.1";

// DirEntry: Value is base64, or null when empty or when `with_value` is false; Session is
// omitted when empty.
Json EncodeKvEntry(const KvEntry& e, bool with_value);
Json EncodeSession(const Session& s);
Json EncodeCheck(const Catalog& catalog, const Check& c);
// /v1/agent/services entry.
Json EncodeAgentService(const Catalog& catalog, const Service& s);
// /v1/health/service entry: {Node, Service, Checks}.
Json EncodeHealthEntry(const Catalog& catalog, const Service& s);
// /v1/catalog/service entry (flat).
Json EncodeCatalogEntry(const Catalog& catalog, const Service& s);
// 200 {"Results":[...],"Errors":null} or 409 {"Results":null,"Errors":[...]}.
Json EncodeTxnOutcome(const TxnOutcome& outcome);

}  // namespace shardgate::consul::dev
