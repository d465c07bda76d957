// Go duration parsing and formatting (see duration.h).
#include "dev/consul/duration.h"

#include <cmath>
#include <cstdio>

namespace shardgate::consul::dev {
namespace {

// Nanoseconds per unit, with Go's unit spellings.
bool UnitNanos(std::string_view unit, double* out) {
  if (unit == "ns") *out = 1;
  else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") *out = 1e3;
  else if (unit == "ms") *out = 1e6;
  else if (unit == "s") *out = 1e9;
  else if (unit == "m") *out = 60e9;
  else if (unit == "h") *out = 3600e9;
  else return false;
  return true;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

}  // namespace

Result<Nanos> ParseGoDuration(std::string_view text) {
  const std::string invalid = "time: invalid duration " + Quote(text);
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Nanos(0);
  if (s.empty()) return InvalidArgument(invalid);
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (IsDigit(s[i]) || s[i] == '.')) ++i;
    std::string number(s.substr(0, i));
    if (number.empty() || number == "." || number.find('.') != number.rfind('.')) {
      return InvalidArgument(invalid);
    }
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && !IsDigit(s[j]) && s[j] != '.') ++j;
    std::string_view unit = s.substr(0, j);
    if (unit.empty()) return InvalidArgument("time: missing unit in duration " + Quote(text));
    double per = 0;
    if (!UnitNanos(unit, &per)) {
      return InvalidArgument("time: unknown unit " + Quote(unit) + " in duration " + Quote(text));
    }
    s.remove_prefix(j);
    total += std::stod(number) * per;
  }
  if (total > 9.2e18) return InvalidArgument(invalid);
  auto ns = static_cast<long long>(std::llround(total));
  return Nanos(negative ? -ns : ns);
}

std::string FormatGoDuration(Nanos d) {
  long long ns = d.count();
  if (ns == 0) return "0s";
  std::string sign = ns < 0 ? "-" : "";
  unsigned long long u = ns < 0 ? -static_cast<unsigned long long>(ns) : ns;
  char buf[64];
  if (u < 1'000'000'000ULL) {
    // Sub-second values use the largest unit that keeps an integer part (Go prints 1.5ms).
    const char* unit = u < 1000 ? "ns" : (u < 1'000'000 ? "\xc2\xb5s" : "ms");
    double div = u < 1000 ? 1 : (u < 1'000'000 ? 1e3 : 1e6);
    std::snprintf(buf, sizeof buf, "%.9g%s", static_cast<double>(u) / div, unit);
    return sign + buf;
  }
  unsigned long long hours = u / 3'600'000'000'000ULL;
  unsigned long long rest = u % 3'600'000'000'000ULL;
  unsigned long long minutes = rest / 60'000'000'000ULL;
  double seconds = static_cast<double>(rest % 60'000'000'000ULL) / 1e9;
  std::snprintf(buf, sizeof buf, "%.9g", seconds);
  std::string out = sign;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  return out + buf + "s";
}

}  // namespace shardgate::consul::dev
