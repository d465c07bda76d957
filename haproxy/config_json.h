// The JSON form of ConfigSpec read by `shardgate-haproxy config --spec`.
#pragma once

#include <string_view>

#include "common/status.h"
#include "haproxy/config.h"

namespace shardgate::haproxy {

// Keys are ConfigSpec's field names; inspect_delay is "inspect_delay_ms". Unknown keys and
// values of the wrong type are refused with an error naming the key (e.g. "shards[0].rw[1].prt").
// Does not call ValidateConfigSpec.
Result<ConfigSpec> ParseConfigSpecJson(std::string_view text);

}  // namespace shardgate::haproxy
