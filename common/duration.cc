// Go duration parsing and formatting (see duration.h); the parser follows Go's time/format.go.
#include "common/duration.h"

#include <cstdint>
#include <optional>

namespace shardgate {
namespace {

// Go computes in uint64 and allows magnitudes up to 2^63 (the most negative duration).
constexpr uint64_t kMaxMagnitude = uint64_t{1} << 63;

// Nanoseconds per unit, with Go's unit spellings; 0 for an unknown unit.
uint64_t UnitNanos(std::string_view unit) {
  if (unit == "ns") return 1;
  if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") return 1'000;  // us, µs, μs
  if (unit == "ms") return 1'000'000;
  if (unit == "s") return 1'000'000'000;
  if (unit == "m") return 60'000'000'000;
  if (unit == "h") return 3'600'000'000'000;
  return 0;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }

// Consumes leading digits (Go's leadingInt); nullopt when the number overflows.
std::optional<uint64_t> LeadingInt(std::string_view* s) {
  uint64_t x = 0;
  size_t i = 0;
  for (; i < s->size() && IsDigit((*s)[i]); ++i) {
    if (x > kMaxMagnitude / 10) return std::nullopt;
    x = x * 10 + static_cast<uint64_t>((*s)[i] - '0');
    if (x > kMaxMagnitude) return std::nullopt;
  }
  s->remove_prefix(i);
  return x;
}

// Consumes leading fraction digits (Go's leadingFraction): digits past uint64 precision are
// skipped, not an error.
uint64_t LeadingFraction(std::string_view* s, double* scale) {
  uint64_t x = 0;
  bool overflow = false;
  size_t i = 0;
  *scale = 1;
  for (; i < s->size() && IsDigit((*s)[i]); ++i) {
    if (overflow) continue;
    uint64_t next = x * 10 + static_cast<uint64_t>((*s)[i] - '0');
    if (x > (kMaxMagnitude - 1) / 10 || next > kMaxMagnitude) {
      overflow = true;
      continue;
    }
    x = next;
    *scale *= 10;
  }
  s->remove_prefix(i);
  return x;
}

// Consumes one "<number><unit>" component and returns its magnitude in nanoseconds.
Result<uint64_t> Component(std::string_view text, std::string_view* s) {
  const Status invalid = InvalidArgument("time: invalid duration " + Quote(text));
  if (!IsDigit(s->front()) && s->front() != '.') return invalid;
  size_t before = s->size();
  std::optional<uint64_t> whole = LeadingInt(s);
  if (!whole) return invalid;
  bool digits_before_dot = s->size() != before;
  uint64_t fraction = 0;
  double scale = 1;
  bool digits_after_dot = false;
  if (!s->empty() && s->front() == '.') {
    s->remove_prefix(1);
    before = s->size();
    fraction = LeadingFraction(s, &scale);
    digits_after_dot = s->size() != before;
  }
  if (!digits_before_dot && !digits_after_dot) return invalid;  // ".s"
  size_t unit_end = 0;
  while (unit_end < s->size() && !IsDigit((*s)[unit_end]) && (*s)[unit_end] != '.') ++unit_end;
  if (unit_end == 0) return InvalidArgument("time: missing unit in duration " + Quote(text));
  std::string_view unit = s->substr(0, unit_end);
  s->remove_prefix(unit_end);
  uint64_t per = UnitNanos(unit);
  if (per == 0) {
    return InvalidArgument("time: unknown unit " + Quote(unit) + " in duration " + Quote(text));
  }
  if (*whole > kMaxMagnitude / per) return invalid;
  uint64_t v = *whole * per;
  if (fraction > 0) {
    v += static_cast<uint64_t>(static_cast<double>(fraction) * (static_cast<double>(per) / scale));
    if (v > kMaxMagnitude) return invalid;
  }
  return v;
}

// value / 10^digits in decimal, without trailing zeros: Decimal(1500, 3) == "1.5".
std::string Decimal(uint64_t value, int digits) {
  uint64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  std::string out = std::to_string(value / scale);
  uint64_t fraction = value % scale;
  if (fraction == 0) return out;
  std::string text = std::to_string(fraction);
  text.insert(0, static_cast<size_t>(digits) - text.size(), '0');
  text.erase(text.find_last_not_of('0') + 1);
  return out + "." + text;
}

}  // namespace

Result<std::chrono::nanoseconds> ParseGoDuration(std::string_view text) {
  const Status invalid = InvalidArgument("time: invalid duration " + Quote(text));
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s.front() == '-' || s.front() == '+')) {
    negative = s.front() == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return std::chrono::nanoseconds(0);
  if (s.empty()) return invalid;
  uint64_t total = 0;
  while (!s.empty()) {
    ASSIGN_OR_RETURN(uint64_t v, Component(text, &s));
    if (v > kMaxMagnitude - total) return invalid;
    total += v;
  }
  if (negative) return std::chrono::nanoseconds(static_cast<int64_t>(0 - total));
  if (total > kMaxMagnitude - 1) return invalid;
  return std::chrono::nanoseconds(static_cast<int64_t>(total));
}

std::string FormatGoDuration(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  if (ns == 0) return "0s";
  std::string out = ns < 0 ? "-" : "";
  uint64_t u = ns < 0 ? 0 - static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  // Below a second Go uses the largest unit that keeps an integer part ("1.5ms").
  if (u < 1'000) return out + Decimal(u, 0) + "ns";
  if (u < 1'000'000) return out + Decimal(u, 3) + "\xc2\xb5s";  // µs
  if (u < 1'000'000'000) return out + Decimal(u, 6) + "ms";
  uint64_t hours = u / 3'600'000'000'000;
  uint64_t minutes = u % 3'600'000'000'000 / 60'000'000'000;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  return out + Decimal(u % 60'000'000'000, 9) + "s";
}

}  // namespace shardgate
