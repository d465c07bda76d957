// Tests for decoding real-shaped Consul bodies and rejecting bad ones.
#include "consul/codec.h"

#include <doctest/doctest.h>

#include "consul/http_errors.h"

namespace shardgate::consul {

TEST_CASE("a KV GET body decodes with value, indexes and session") {
  auto entries = DecodeKvEntries(
      R"([{"LockIndex":1,"Key":"app/lock","Flags":7,"Value":"bm9kZS1h",)"
      R"("Session":"adf4238a-882b-9ddc-4a9d-5b6758e4159e","CreateIndex":98,"ModifyIndex":99}])");
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 1);
  const KvEntry& e = entries->front();
  CHECK(e.key == "app/lock");
  CHECK(e.value == "node-a");
  CHECK(e.flags == 7);
  CHECK(e.lock_index == 1);
  CHECK(e.create_index == 98);
  CHECK(e.modify_index == 99);
  CHECK(e.session == "adf4238a-882b-9ddc-4a9d-5b6758e4159e");
}

TEST_CASE("a null Value reads as the empty string and a missing Session as unlocked") {
  auto entries = DecodeKvEntries(
      R"([{"LockIndex":0,"Key":"k","Flags":0,"Value":null,"CreateIndex":4,"ModifyIndex":4}])");
  REQUIRE(entries.ok());
  CHECK(entries->front().value.empty());
  CHECK(entries->front().session.empty());
}

TEST_CASE("bad KV bodies are protocol errors that say what is wrong") {
  struct Case {
    const char* body;
    const char* reason;
  };
  for (const Case& c :
       {Case{R"([{"Key":"k","ModifyIndex":4)", "invalid JSON"},
        Case{"<html><body>502 Bad Gateway</body></html>", "invalid JSON"},
        Case{R"({"Key":"k"})", "not a JSON array"},
        Case{R"([{"Key":5,"ModifyIndex":4}])", "Key is not a string"},
        Case{R"([{"Key":"k","ModifyIndex":"4"}])", "ModifyIndex is not an unsigned"},
        Case{R"([{"Key":"k"}])", "missing field ModifyIndex"},
        Case{R"([{"Key":"k","ModifyIndex":4,"Value":"%%%="}])", "invalid base64"},
        Case{"", "invalid JSON"}}) {
    CAPTURE(c.body);
    auto entries = DecodeKvEntries(c.body);
    REQUIRE_FALSE(entries.ok());
    CHECK(entries.status().code() == Code::kProtocol);
    CHECK(entries.status().message().find(c.reason) != std::string::npos);
  }
}

TEST_CASE("keys bodies decode to strings and refuse other types") {
  CHECK(DecodeKeys(R"(["web/bar","web/foo","web/subdir/"])").value().size() == 3);
  CHECK(DecodeKeys(R"(["web/bar",3])").status().code() == Code::kProtocol);
}

TEST_CASE("KV write bodies are the literals true and false") {
  CHECK(DecodeBool("true").value());
  CHECK_FALSE(DecodeBool("false").value());
  CHECK(DecodeBool("\"true\"").status().code() == Code::kProtocol);
}

TEST_CASE("txn ops encode verbs, base64 values and only the fields each verb uses") {
  std::string body = EncodeTxnOps({TxnOp{TxnVerb::kCheckIndex, "cfg/a", "", 0, 57, ""},
                                   TxnOp{TxnVerb::kSet, "cfg/a", "v3", 0, 0, ""},
                                   TxnOp{TxnVerb::kDelete, "cfg/b", "", 0, 0, ""}});
  CHECK(body == R"([{"KV":{"Index":57,"Key":"cfg/a","Verb":"check-index"}},)"
                R"({"KV":{"Key":"cfg/a","Value":"djM=","Verb":"set"}},)"
                R"({"KV":{"Key":"cfg/b","Verb":"delete"}}])");
}

TEST_CASE("an applied txn decodes its results and a rolled-back one its errors") {
  auto applied = DecodeTxnResult(
      R"({"Results":[{"KV":{"LockIndex":0,"Key":"cfg/a","Flags":0,"Value":null,"CreateIndex":40,"ModifyIndex":57}},)"
      R"({"KV":{"LockIndex":0,"Key":"cfg/a","Flags":0,"Value":null,"CreateIndex":40,"ModifyIndex":61}}],"Errors":null})",
      true);
  REQUIRE(applied.ok());
  CHECK(applied->applied);
  REQUIRE(applied->results.size() == 2);
  CHECK(applied->results[1].modify_index == 61);

  auto rolled_back = DecodeTxnResult(
      R"({"Results":null,"Errors":[{"OpIndex":0,"What":"failed index check for key \"cfg/a\", current modify index 61 != 57"}]})",
      false);
  REQUIRE(rolled_back.ok());
  CHECK_FALSE(rolled_back->applied);
  CHECK(rolled_back->results.empty());
  REQUIRE(rolled_back->errors.size() == 1);
  CHECK(rolled_back->errors[0] ==
        TxnError{0, "failed index check for key \"cfg/a\", current modify index 61 != 57"});
}

TEST_CASE("a 409 txn body without errors is a protocol error") {
  CHECK(DecodeTxnResult(R"({"Results":null,"Errors":null})", false).status().code() ==
        Code::kProtocol);
}

TEST_CASE("query metadata is read case-insensitively and an index below 1 counts as 1") {
  HttpHeaders headers{
      {"x-consul-index", "0"}, {"X-CONSUL-KNOWNLEADER", "true"}, {"X-Consul-Lastcontact", "25"}};
  Result<QueryMeta> meta = ParseQueryMeta(headers);
  REQUIRE(meta.ok());
  CHECK(meta->index == 1);
  CHECK(meta->known_leader);
  CHECK(meta->last_contact == std::chrono::milliseconds(25));
}

TEST_CASE("query metadata without a numeric index is a protocol error") {
  CHECK(ParseQueryMeta({}).status().code() == Code::kProtocol);
  CHECK(ParseQueryMeta({{"X-Consul-Index", "12a"}}).status().code() == Code::kProtocol);
  CHECK(ParseQueryMeta({{"X-Consul-Index", "-1"}}).status().code() == Code::kProtocol);
}

}  // namespace shardgate::consul
