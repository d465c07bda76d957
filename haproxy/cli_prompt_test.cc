// Tests for the interactive-mode reply framing, with pairs captured from HAProxy 2.6.12
// (testdata/interactive/): <name>.prompt.txt is what a connection in interactive mode read for
// the command, <name>.txt what a fresh one-shot connection read for it right after.
#include "haproxy/cli_prompt.h"

#include <doctest/doctest.h>

#include "common/file.h"
#include "haproxy/replies.h"

namespace shardgate::haproxy {
namespace {

std::string Captured(const std::string& file) {
  Result<std::string> text = ReadFile(std::string(SHARDGATE_SOURCE_DIR) +
                                      "/haproxy/testdata/interactive/" + file);
  REQUIRE_MESSAGE(text.ok(), text.status().ToString());
  return *text;
}

// The captured interactive reply to `command`, unframed. REQUIRES: it is complete.
std::string Unframed(std::string_view command, const std::string& name) {
  Result<std::optional<std::string>> reply =
      UnframeInteractiveReply(command, Captured(name + ".prompt.txt"));
  REQUIRE_MESSAGE(reply.ok(), reply.status().ToString());
  REQUIRE(reply->has_value());
  return **reply;
}

struct Capture {
  std::string name;
  std::string command;
};

const Capture kCaptures[] = {
    {"show_servers_state", "show servers state"},
    {"show_servers_state_backend", "show servers state shard_1_ro"},
    {"show_map", "show map /tmp/ka/ranges.map"},
    {"show_backend", "show backend"},
    {"get_map_found", "get map /tmp/ka/ranges.map meta"},
    {"ok_set_weight", "set server shard_1_rw/n1 weight 7"},
    {"err_no_such_server", "set server shard_1_rw/gone weight 7"},
    {"err_unknown_command", "frobnicate now"},
    {"add_map_payload", "add map @1 /tmp/ka/ranges.map <<\n1 a\n2 b\n"},
    {"err_add_map_bad_version", "add map @999 /tmp/ka/ranges.map <<\n1 a\n"},
};

TEST_CASE(
    "every captured interactive reply without its prompts is the one-shot reply, byte for byte") {
  for (const Capture& capture : kCaptures) {
    CAPTURE(capture.name);
    CHECK(Unframed(capture.command, capture.name) == Captured(capture.name + ".txt"));
  }
}

TEST_CASE("show info read in interactive mode parses as the one-shot reply does") {
  // The two differ only in counters (uptime, connections), so they are compared parsed.
  Result<ProcessInfo> kept = ParseShowInfo(Unframed("show info", "show_info"));
  Result<ProcessInfo> one_shot = ParseShowInfo(Captured("show_info.txt"));
  REQUIRE(kept.ok());
  REQUIRE(one_shot.ok());
  CHECK(kept->pid == one_shot->pid);
  CHECK(kept->version == one_shot->version);
  CHECK(Unframed("show info", "show_info").ends_with("\n\n"));
}

TEST_CASE("unframed replies keep their meaning for the parsers and the reply checks") {
  Result<std::vector<ServerState>> states = ParseServersState(
      Unframed("show servers state", "show_servers_state"));
  REQUIRE(states.ok());
  CHECK(states->size() == 3);
  CHECK(CheckCommandReply("set", Unframed("set server shard_1_rw/n1 weight 7", "ok_set_weight"))
            .ok());
  CHECK(CheckCommandReply("set",
                          Unframed("set server shard_1_rw/gone weight 7", "err_no_such_server"))
            .code() == Code::kNotFound);
  CHECK(CheckCommandReply("frobnicate", Unframed("frobnicate now", "err_unknown_command")).code() ==
        Code::kProtocol);
}

TEST_CASE("a reply split across reads is complete only once the prompt has arrived") {
  const std::string bytes = Captured("show_servers_state.prompt.txt");
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    Result<std::optional<std::string>> partial =
        UnframeInteractiveReply("show servers state", std::string_view(bytes).substr(0, cut));
    REQUIRE(partial.ok());
    REQUIRE_MESSAGE(!partial->has_value(), "complete after only ", cut, " bytes");
  }
  CHECK(Unframed("show servers state", "show_servers_state") == Captured("show_servers_state.txt"));
}

TEST_CASE("the reply to prompt is the bare prompt, and an empty reply is one newline") {
  Result<std::optional<std::string>> reply = UnframeInteractiveReply(kPromptCommand, "\n> ");
  REQUIRE(reply.ok());
  CHECK(*reply == std::optional<std::string>("\n"));
  CHECK(!UnframeInteractiveReply("show backend", "> ")->has_value());
  CHECK(!UnframeInteractiveReply("show backend", "")->has_value());
}

TEST_CASE("a payload command is prompted once per line before the empty line that ends it") {
  CHECK(PayloadPromptCount("set server a/b weight 1") == 0);
  CHECK(PayloadPromptCount("add map @1 /m <<\n1 a\n") == 2);
  CHECK(PayloadPromptCount("add map @1 /m <<\n1 a\n2 b\n") == 3);
  // A "<<" that does not end the command line is not a payload.
  CHECK(PayloadPromptCount("set map /m k <<v") == 0);
}

TEST_CASE("a payload reply without its + prompts is a protocol error") {
  CHECK(UnframeInteractiveReply("add map @1 /m <<\n1 a\n", "+ \n> ").status().code() ==
        Code::kProtocol);
  CHECK(UnframeInteractiveReply("add map @1 /m <<\n1 a\n", "\n> ").status().code() ==
        Code::kProtocol);
}

}  // namespace
}  // namespace shardgate::haproxy
