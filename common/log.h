// Structured logging: one logfmt line per event on stderr ("ts=... level=... event=... k=v").
// Secrets never go through here: callers pass names of files, never their contents.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace shardgate {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

using LogField = std::pair<std::string_view, std::string>;

// Sets the minimum level written (default kInfo). Thread-safe.
void SetLogLevel(LogLevel level);
// Parses "debug|info|warn|error"; returns false for anything else.
bool ParseLogLevel(std::string_view text, LogLevel* out);

// Writes one line atomically (a single write(2)); values with spaces, quotes or '=' are quoted.
// Thread-safe.
void Log(LogLevel level, std::string_view event, std::initializer_list<LogField> fields = {});

// Formats a logfmt line without writing it (exposed for tests).
std::string FormatLogLine(std::string_view ts, LogLevel level, std::string_view event,
                          std::initializer_list<LogField> fields);

}  // namespace shardgate
