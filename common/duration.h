// Go time.Duration text: parsing ("1m30s", "250ms") and formatting ("24h0m0s"), as Consul uses it.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"

namespace shardgate {

// Parses like Go's time.ParseDuration: an optional sign, then one or more decimal numbers (with
// an optional fraction) each followed by a unit of ns, us (or µs), ms, s, m or h ("-1h2m3.5s");
// "0" alone needs no unit. Values beyond ±292 years are refused.
// Errors: kInvalidArgument with Go's text, e.g. `time: invalid duration "x"`,
// `time: missing unit in duration "10"`, `time: unknown unit "d" in duration "3d"`.
// Thread-safety: a pure function.
Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text);

// Formats like Go's Duration.String(): "0s", "1.5µs", "250ms", "10s", "1m30s", "24h0m0s".
// Thread-safety: a pure function.
std::string FormatGoDuration(std::chrono::nanoseconds d);

}  // namespace shardgate
