// Unframing of replies read in HAProxy's interactive CLI mode.
#include "haproxy/cli_prompt.h"

#include <algorithm>

namespace shardgate::haproxy {
namespace {

constexpr std::string_view kPayloadPrompt = "+ ";  // "more payload may follow"
constexpr std::string_view kReplyEnd = "\n> ";     // the reply's last "\n", then the prompt

}  // namespace

size_t PayloadPromptCount(std::string_view command) {
  if (command.find("<<\n") == std::string_view::npos) return 0;
  // Every line of a payload command ends in "\n" (RuntimeSocket::Execute requires it).
  return static_cast<size_t>(std::count(command.begin(), command.end(), '\n'));
}

Result<std::optional<std::string>> UnframeInteractiveReply(std::string_view command,
                                                           std::string_view bytes) {
  if (!bytes.ends_with(kReplyEnd)) return std::optional<std::string>();
  std::string_view reply = bytes.substr(0, bytes.size() - (kReplyEnd.size() - 1));
  for (size_t i = PayloadPromptCount(command); i > 0; --i) {
    if (!reply.starts_with(kPayloadPrompt)) {
      return ProtocolError("interactive reply lacks the payload prompt \"+ \" " +
                           std::to_string(i) + " more time(s): '" +
                           std::string(bytes.substr(0, 80)) + "'");
    }
    reply.remove_prefix(kPayloadPrompt.size());
  }
  return std::optional<std::string>(std::string(reply));
}

}  // namespace shardgate::haproxy
