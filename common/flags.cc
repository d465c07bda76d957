// Command-line flag parsing (see flags.h).
#include "common/flags.h"

namespace shardgate {

bool ParsedFlags::Has(std::string_view name) const { return Get(name).has_value(); }

std::optional<std::string> ParsedFlags::Get(std::string_view name) const {
  for (auto it = flags.rbegin(); it != flags.rend(); ++it) {
    if (it->first == name) return it->second;
  }
  return std::nullopt;
}

FlagSet& FlagSet::Value(std::string name) {
  takes_value_[std::move(name)] = true;
  return *this;
}

FlagSet& FlagSet::Bool(std::string name, char short_name) {
  if (short_name != '\0') short_names_[short_name] = name;
  takes_value_[std::move(name)] = false;
  return *this;
}

FlagSet& FlagSet::AllowUndeclared() {
  allow_undeclared_ = true;
  return *this;
}

Result<ParsedFlags> FlagSet::Parse(const std::vector<std::string>& args) const {
  ParsedFlags parsed;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg.size() == 2 && arg[0] == '-' && short_names_.count(arg[1])) {
      parsed.flags.emplace_back(short_names_.at(arg[1]), "");
      continue;
    }
    if (!arg.starts_with("--") || arg == "--") {
      parsed.positional.push_back(arg);
      continue;
    }
    size_t eq = arg.find('=');
    std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    auto declared = takes_value_.find(name);
    if (declared == takes_value_.end() && !allow_undeclared_) {
      return InvalidArgument(name + ": unknown flag");
    }
    bool takes_value = declared == takes_value_.end() || declared->second;
    if (!takes_value) {
      if (eq != std::string::npos) return InvalidArgument(name + ": takes no value");
      parsed.flags.emplace_back(name, "");
    } else if (eq != std::string::npos) {
      parsed.flags.emplace_back(name, arg.substr(eq + 1));
    } else if (i + 1 < args.size()) {
      parsed.flags.emplace_back(name, args[++i]);
    } else {
      return InvalidArgument(name + ": missing value");
    }
  }
  return parsed;
}

}  // namespace shardgate
