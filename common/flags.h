// Command-line flags: "--name value", "--name=value", boolean "--name", positional arguments.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace shardgate {

// What FlagSet::Parse found, in command-line order.
struct ParsedFlags {
  // (name without "--", value); a boolean flag's value is "".
  std::vector<std::pair<std::string, std::string>> flags;
  // Every argument that is not a flag or a flag's value ("-" and "--" included).
  std::vector<std::string> positional;

  bool Has(std::string_view name) const;
  // The value given last for `name`; nullopt when it was not given.
  std::optional<std::string> Get(std::string_view name) const;
};

// The flags a program (or one of its commands) accepts. Build it, then Parse().
// Thread-safety: a plain value; Parse is const.
class FlagSet {
 public:
  // Declares "--name VALUE" / "--name=VALUE" (a value may start with '-').
  FlagSet& Value(std::string name);
  // Declares "--name" without a value; `short_name`, when given, also accepts "-<short_name>".
  FlagSet& Bool(std::string name, char short_name = '\0');
  // Accepts every undeclared "--name" as a value flag, for programs that check the names
  // themselves against an open set (the agent's configuration keys).
  FlagSet& AllowUndeclared();

  // Parses `args` (argv without the program name, and without the command for programs that
  // have commands).
  // Errors: kInvalidArgument naming the flag: "<name>: missing value", "<name>: unknown flag",
  // "<name>: takes no value".
  Result<ParsedFlags> Parse(const std::vector<std::string>& args) const;

 private:
  std::map<std::string, bool, std::less<>> takes_value_;  // declared name -> takes a value
  std::map<char, std::string> short_names_;
  bool allow_undeclared_ = false;
};

}  // namespace shardgate
