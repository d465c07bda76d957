// HAProxy's interactive CLI mode (`prompt`): where a reply ends, and what the mode adds to it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace shardgate::haproxy {

// Turns interactive mode on for the connection (sending it again turns it off).
inline constexpr std::string_view kPromptCommand = "prompt";

// In interactive mode HAProxy 2.6 writes, for one command:
//   "+ "      once per line it reads while a payload is open: the command line ending in "<<"
//             and each payload line (not the empty line that ends the payload);
//   the reply exactly as one-shot mode writes it, ending with the same "\n";
//   "> "      the prompt, after which it writes nothing until the next command.
// So the reply to `prompt` itself is "\n> ".
//
// Returns std::nullopt while `bytes` (everything read so far for `command`, which is written as
// RuntimeSocket::Execute takes it) does not end with the prompt yet, and the reply as one-shot
// mode returns it once it does.
// Errors: kProtocol when a complete reply lacks the "+ " prompts `command`'s payload calls for.
// A reply whose own bytes ended in "\n> " at a read boundary would be taken as complete there;
// no reply to the commands shardgate sends has a line that starts with "> ".
Result<std::optional<std::string>> UnframeInteractiveReply(std::string_view command,
                                                           std::string_view bytes);

// How many "+ " prompts precede the reply to `command`: 0 without a payload, else its line count
// (the command line and each payload line).
size_t PayloadPromptCount(std::string_view command);

}  // namespace shardgate::haproxy
