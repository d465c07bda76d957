// Consul KV key names and the seed rule set (see kv_layout.h).
#include "controller/kv_layout.h"

#include <charconv>
#include <cstdio>

namespace shardgate::controller {

std::string ClusterPrefix(std::string_view cluster) {
  return "shardgate/" + std::string(cluster) + "/";
}

std::string RulesKey(std::string_view cluster) { return ClusterPrefix(cluster) + "routing/rules"; }

std::string BlobsPrefix(std::string_view cluster) {
  return ClusterPrefix(cluster) + "routing/blobs/";
}

std::string BlobPrefix(std::string_view cluster, std::string_view blob_id) {
  return BlobsPrefix(cluster) + std::string(blob_id) + "/";
}

std::string BlobChunkKey(std::string_view cluster, std::string_view blob_id, size_t index) {
  return BlobPrefix(cluster, blob_id) + std::to_string(index);
}

std::string HistoryPrefix(std::string_view cluster) {
  return ClusterPrefix(cluster) + "routing/history/";
}

std::string HistoryKey(std::string_view cluster, uint64_t version) {
  char digits[21];
  std::snprintf(digits, sizeof digits, "%020llu", static_cast<unsigned long long>(version));
  return HistoryPrefix(cluster) + digits;
}

namespace {

// The decimal number that makes up all of `text`; nullopt for anything else.
std::optional<uint64_t> WholeNumber(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<uint64_t> HistoryKeyVersion(std::string_view key) {
  constexpr size_t kDigits = 20;
  if (key.size() < kDigits) return std::nullopt;
  return WholeNumber(key.substr(key.size() - kDigits));
}

std::optional<uint64_t> BlobIdVersion(std::string_view blob_id) {
  size_t dash = blob_id.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  return WholeNumber(blob_id.substr(0, dash));
}

std::string ControllersPrefix(std::string_view cluster) {
  return ClusterPrefix(cluster) + "controllers/";
}

std::string ControllerReportKey(std::string_view cluster, std::string_view controller_id) {
  return ControllersPrefix(cluster) + std::string(controller_id);
}

RuleSet RuleSetFromSegments(const std::vector<model::Segment>& segments, WallTime created_at,
                            std::string_view reason) {
  RuleSet set;
  set.version = 1;
  for (const model::Segment& seg : segments) {
    RoutingRule rule;
    rule.id = set.next_id++;
    rule.lo = seg.lo;
    rule.hi = seg.hi;
    rule.shard = seg.shard;
    rule.created_at = created_at;
    rule.reason = std::string(reason);
    set.rules.push_back(std::move(rule));
  }
  return set;
}

}  // namespace shardgate::controller
