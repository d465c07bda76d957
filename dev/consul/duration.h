// Go time.Duration text: parsing ("1m30s", "250ms") and formatting ("24h0m0s"), as Consul uses them.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "dev/consul/types.h"

namespace shardgate::consul::dev {

// Parses like Go's time.ParseDuration. Errors carry Go's text, e.g.
// `time: invalid duration "x"` or `time: missing unit in duration "10"`.
Result<Nanos> ParseGoDuration(std::string_view text);

// Formats like Go's Duration.String(): "0s", "250ms", "10s", "1m30s", "24h0m0s".
std::string FormatGoDuration(Nanos d);

}  // namespace shardgate::consul::dev
