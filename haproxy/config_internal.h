// Helpers shared by the configuration's validation (config.cc, config_tls.cc) and rendering.
#pragma once

#include <string_view>

#include "common/status.h"
#include "haproxy/config.h"

namespace shardgate::haproxy {

// Paths, hosts and options are written unquoted into the configuration: no blanks, quotes,
// backslashes, '#' or '$'.
bool IsPlainWord(std::string_view s);

// Ok when `value` is an absolute path that is a plain word; else an error naming `field`.
Status CheckAbsolutePath(std::string_view field, const std::string& value);

// Checks spec.tls (and that require_* is only set with a certificate); the error names the field.
Status ValidateTlsSpec(const ConfigSpec& spec);

}  // namespace shardgate::haproxy
