// Where the controller's data lives in Consul KV (docs/interfaces.md, "Consul KV layout").
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "controller/routing_rules.h"
#include "model/range.h"

namespace shardgate::controller {

// "shardgate/<cluster>/": everything shardgate keeps for one cluster.
std::string ClusterPrefix(std::string_view cluster);
// "shardgate/<cluster>/routing/rules": the RuleSet document (EncodeRuleSet), written with CAS.
std::string RulesKey(std::string_view cluster);
// "shardgate/<cluster>/routing/blobs/": chunked rule sets too large for one KV value.
std::string BlobsPrefix(std::string_view cluster);
// "shardgate/<cluster>/routing/blobs/<blob_id>/": the chunks of one blob.
std::string BlobPrefix(std::string_view cluster, std::string_view blob_id);
// "shardgate/<cluster>/routing/blobs/<blob_id>/<index>" (index from 0, not zero-padded).
std::string BlobChunkKey(std::string_view cluster, std::string_view blob_id, size_t index);
// "shardgate/<cluster>/routing/history/": one entry per rules version.
std::string HistoryPrefix(std::string_view cluster);
// "shardgate/<cluster>/routing/history/<version, zero-padded to 20 digits>", so that key order
// is version order.
std::string HistoryKey(std::string_view cluster, uint64_t version);
// The version in a history key (full key or the part after HistoryPrefix); nullopt when the key
// does not end in 20 digits.
std::optional<uint64_t> HistoryKeyVersion(std::string_view key);
// The rules version a blob id ("<version>-<random hex>") was written for; nullopt when the id
// does not start with a decimal number and a '-'.
std::optional<uint64_t> BlobIdVersion(std::string_view blob_id);

// "shardgate/<cluster>/controllers/": one report per controller (what it applied where).
std::string ControllersPrefix(std::string_view cluster);
// "shardgate/<cluster>/controllers/<controller_id>".
std::string ControllerReportKey(std::string_view cluster, std::string_view controller_id);

// A first rule set that routes exactly `segments` (permanent rules, one per segment, ids from 1,
// version 1), e.g. to seed a new cluster from a map file. REQUIRES: ValidateSegments ok.
RuleSet RuleSetFromSegments(const std::vector<model::Segment>& segments, WallTime created_at,
                            std::string_view reason);

}  // namespace shardgate::controller
