// Standard base64 (RFC 4648, padded), as Consul carries KV values in JSON.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"

namespace shardgate {

// Thread-safety: a pure function.
std::string Base64Encode(std::string_view bytes);

// Decodes like Go's base64.StdEncoding (Consul's): padding required, no blanks or newlines.
// Errors: kInvalidArgument with Go's text, `illegal base64 data at input byte N`.
// Thread-safety: a pure function.
Result<std::string> Base64Decode(std::string_view text);

}  // namespace shardgate
