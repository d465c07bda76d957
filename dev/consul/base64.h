// Standard base64 (RFC 4648, padded), as Consul uses for KV values in JSON.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace shardgate::consul::dev {

std::string Base64Encode(std::string_view bytes);
// Go's error text on bad input: `illegal base64 data at input byte N`.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace shardgate::consul::dev
