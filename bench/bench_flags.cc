// Flag readers of the bench programs (see bench_flags.h).
#include "bench/bench_flags.h"

#include <optional>
#include <string>

#include "common/numbers.h"

namespace shardgate::bench {

Status IntFlag(const ParsedFlags& parsed, const char* name, int lo, int hi, int* out) {
  std::optional<std::string> text = parsed.Get(name);
  if (!text) return Status::Ok();
  int value = 0;
  if (!ParseInteger(*text, &value) || value < lo || value > hi) {
    return InvalidArgument(std::string(name) + ": '" + *text + "' is not a number in " +
                           std::to_string(lo) + ".." + std::to_string(hi));
  }
  *out = value;
  return Status::Ok();
}

}  // namespace shardgate::bench
