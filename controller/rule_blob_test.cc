// Tests for chunking, the checksum, the manifest and the history entry document.
#include "controller/rule_blob.h"

#include <doctest/doctest.h>

namespace shardgate::controller {
namespace {

RuleSet SmallSet() {
  RoutingRule rule;
  rule.id = 1;
  rule.lo = 10;
  rule.hi = 20;
  rule.shard = "shard_1";
  rule.created_by = "ops";
  return RuleSet{3, 2, {rule}};
}

// Chunks of `ref` as a store holds them, from `bytes`.
std::map<size_t, std::string> Stored(std::string_view bytes, size_t chunk_bytes) {
  std::map<size_t, std::string> chunks;
  std::vector<std::string_view> pieces = SplitChunks(bytes, chunk_bytes);
  for (size_t i = 0; i < pieces.size(); ++i) chunks[i] = std::string(pieces[i]);
  return chunks;
}

TEST_CASE("fnv1a64 gives the published test vectors") {
  CHECK(Fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(Fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(Fnv1a64("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("bytes are cut into chunks of at most the chunk size, the last one shorter") {
  std::vector<std::string_view> chunks = SplitChunks("abcdefg", 3);
  CHECK(chunks == std::vector<std::string_view>{"abc", "def", "g"});
  CHECK(SplitChunks("abcdef", 3).size() == 2);
  CHECK(SplitChunks("", 3).empty());
  BlobRef ref = DescribeBlob("5-aa", "abcdefg", 3);
  CHECK(ref == BlobRef{"5-aa", 3, 7, Fnv1a64("abcdefg")});
}

TEST_CASE("chunks join back into the bytes they were cut from") {
  const std::string bytes = "the quick brown fox jumps over the lazy dog";
  BlobRef ref = DescribeBlob("5-aa", bytes, 10);
  Result<std::string> joined = JoinChunks(ref, Stored(bytes, 10));
  REQUIRE(joined.ok());
  CHECK(*joined == bytes);
}

TEST_CASE("joining refuses missing, extra, short and altered chunks, naming what is wrong") {
  const std::string bytes = "the quick brown fox jumps over the lazy dog";
  const BlobRef ref = DescribeBlob("5-aa", bytes, 10);
  struct Case {
    std::string name;
    std::map<size_t, std::string> chunks;
    BlobRef ref;
    std::string want;
  };
  std::vector<Case> cases;
  cases.push_back({"missing", Stored(bytes, 10), ref, "blob 5-aa: chunk 2 of 5 is missing"});
  cases.back().chunks.erase(2);
  cases.push_back({"extra", Stored(bytes, 10), ref, "chunk 5 is beyond the manifest's 5"});
  cases.back().chunks[5] = "x";
  cases.push_back({"short", Stored(bytes, 10), ref, "chunks hold 42 bytes, the manifest says 43"});
  cases.back().chunks[4].pop_back();
  cases.push_back({"altered", Stored(bytes, 10), ref, "checksum"});
  cases.back().chunks[1][0] = 'X';
  for (const Case& c : cases) {
    CAPTURE(c.name);
    Result<std::string> joined = JoinChunks(c.ref, c.chunks);
    REQUIRE_FALSE(joined.ok());
    CHECK(joined.status().code() == Code::kProtocol);
    CHECK(joined.status().message().find(c.want) != std::string::npos);
  }
}

TEST_CASE("a manifest survives encoding and is recognised as one") {
  RulesManifest manifest{42, BlobRef{"42-00ff", 3, 600000, 0x0123456789abcdefULL}};
  const std::string json = EncodeManifest(manifest);
  CHECK(json.find(R"("fnv1a64":"0123456789abcdef")") != std::string::npos);
  CHECK(IsManifest(json));
  CHECK_FALSE(IsManifest(EncodeRuleSet(SmallSet())));
  Result<RulesManifest> decoded = DecodeManifest(json);
  REQUIRE(decoded.ok());
  CHECK(*decoded == manifest);
}

TEST_CASE("a bad manifest is refused with the field named") {
  struct Case {
    std::string json;
    std::string want;
  };
  std::vector<Case> cases = {
      {"{", "not valid JSON"},
      {R"({"format":"shardgate-rules-1"})", "format is not \"shardgate-rules-ref-1\""},
      {R"({"format":"shardgate-rules-ref-1","blob":"1-a","chunks":1,"bytes":1,)"
       R"("fnv1a64":"0000000000000000"})",
       "version is missing"},
      {R"({"format":"shardgate-rules-ref-1","version":1,"blob":"1-a","chunks":-1,"bytes":1,)"
       R"("fnv1a64":"0000000000000000"})",
       "chunks is not an unsigned integer"},
      {R"({"format":"shardgate-rules-ref-1","version":1,"blob":"1-a","chunks":1,"bytes":1,)"
       R"("fnv1a64":"xyz"})",
       "fnv1a64 is not 16 hex digits"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.json);
    Result<RulesManifest> decoded = DecodeManifest(c.json);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == Code::kProtocol);
    CHECK(decoded.status().message().find(c.want) != std::string::npos);
  }
}

HistoryEntry Entry() {
  HistoryEntry entry;
  entry.version = 3;
  entry.at = WallTime(Millis(1700000000123));
  entry.who = "ops";
  entry.action = "add";
  entry.reason = "move hot tenants";
  entry.summary = "added rule 1: 10-20 -> shard_1";
  entry.rule_count = 1;
  entry.restorable = true;
  return entry;
}

TEST_CASE("a history entry keeps its inline rules or its blob through encoding") {
  HistoryEntry inline_entry = Entry();
  inline_entry.rules = SmallSet();
  Result<HistoryEntry> decoded = DecodeHistoryEntry(EncodeHistoryEntry(inline_entry));
  REQUIRE(decoded.ok());
  CHECK(*decoded == inline_entry);

  HistoryEntry blob_entry = Entry();
  blob_entry.blob = BlobRef{"3-ab", 2, 300000, 77};
  decoded = DecodeHistoryEntry(EncodeHistoryEntry(blob_entry));
  REQUIRE(decoded.ok());
  CHECK(*decoded == blob_entry);
}

TEST_CASE("a history entry that names no rules decodes as not restorable") {
  HistoryEntry entry = Entry();
  entry.restorable = false;
  Result<HistoryEntry> decoded = DecodeHistoryEntry(EncodeHistoryEntry(entry));
  REQUIRE(decoded.ok());
  CHECK(*decoded == entry);
}

TEST_CASE("a bad history entry is refused with the field named") {
  struct Case {
    std::string json;
    std::string want;
  };
  std::vector<Case> cases = {
      {R"({"format":"shardgate-history-2"})", "format is not \"shardgate-history-1\""},
      {R"({"format":"shardgate-history-1","version":1,"at_ms":"x"})", "at_ms is not an integer"},
      {R"({"format":"shardgate-history-1","version":1,"at_ms":1,"who":"a","action":"add",)"
       R"("reason":"","summary":""})",
       "rule_count is missing"},
      {R"({"format":"shardgate-history-1","version":1,"at_ms":1,"who":"a","action":"add",)"
       R"("reason":"","summary":"","rule_count":1,"rules":{"format":"shardgate-rules-1"}})",
       "history entry: rule set.version is missing"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.json);
    Result<HistoryEntry> decoded = DecodeHistoryEntry(c.json);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == Code::kProtocol);
    CHECK(decoded.status().message().find(c.want) != std::string::npos);
  }
}

}  // namespace
}  // namespace shardgate::controller
