// Flag readers the bench programs share (on top of common/flags.h).
#pragma once

#include "common/flags.h"
#include "common/status.h"

namespace shardgate::bench {

// Reads the integer flag `name` in [lo, hi] into *out when it was given; leaves *out otherwise.
// Errors: kInvalidArgument "<name>: '<text>' is not a number in lo..hi".
Status IntFlag(const ParsedFlags& parsed, const char* name, int lo, int hi, int* out);

}  // namespace shardgate::bench
