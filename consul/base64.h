// Standard base64 (RFC 4648, with padding), as Consul uses for KV values.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace shardgate::consul {

std::string Base64Encode(std::string_view bytes);
// Errors: kProtocol for characters outside the alphabet or a length that is not a multiple of 4.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace shardgate::consul
