// controller_bench: shardgate-controller against a dev Consul and a real HAProxy, the agents
// played by the bench. Part 1: a Consul change -> applied in HAProxy, beside Consul's own round
// trip. Part 2: full resync after HAProxy is killed and started again, beside HAProxy starting
// with the same servers static in its configuration. Part 3: the controller's CPU and RSS, idle
// and under changes. Prints figures and ratios; never fails on timing. SIGINT/SIGTERM stop it.
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_flags.h"
#include "bench/controller_bench_parts.h"
#include "common/flags.h"
#include "common/numbers.h"
#include "tests/harness/signals.h"

namespace shardgate::bench {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kUsage =
    "usage: controller_bench [--parts=123] [--changes=200] [--spacing-ms=200,75] [--shards=50]\n"
    "                        [--nodes=10] [--segments=1000] [--restarts=5] [--phase-seconds=20]\n"
    "                        [--rate=10]\n"
    "  part 1: Consul change -> applied (3 shards x 3 nodes; --changes per --spacing-ms series)\n"
    "  part 2: resync after an HAProxy restart (--shards x --nodes, --segments, --restarts)\n"
    "  part 3: controller CPU/RSS idle and under --rate changes/s (--phase-seconds each)\n";

// Reads a comma-separated list of integers in [lo, hi] into *out when it was given.
Status IntListFlag(const ParsedFlags& parsed, const char* name, int lo, int hi,
                   std::vector<int>* out) {
  std::optional<std::string> text = parsed.Get(name);
  if (!text) return Status::Ok();
  std::vector<int> values;
  size_t from = 0;
  while (from <= text->size()) {
    size_t comma = std::min(text->find(',', from), text->size());
    int value = 0;
    if (!ParseInteger(std::string_view(*text).substr(from, comma - from), &value) || value < lo ||
        value > hi) {
      return InvalidArgument(std::string(name) + ": '" + *text + "' is not a list of numbers in " +
                             std::to_string(lo) + ".." + std::to_string(hi));
    }
    values.push_back(value);
    from = comma + 1;
  }
  *out = std::move(values);
  return Status::Ok();
}

Result<ControllerBenchFlags> ParseFlags(int argc, char** argv) {
  FlagSet set;
  for (const char* name : {"parts", "changes", "spacing-ms", "shards", "nodes", "segments",
                           "restarts", "phase-seconds", "rate"}) {
    set.Value(name);
  }
  ASSIGN_OR_RETURN(ParsedFlags parsed, set.Parse(std::vector<std::string>(argv + 1, argv + argc)));
  ControllerBenchFlags f;
  f.parts = parsed.Get("parts").value_or(f.parts);
  if (f.parts.empty() || f.parts.find_first_not_of("123") != std::string::npos) {
    return InvalidArgument("parts: '" + f.parts + "' must be digits among 1, 2, 3");
  }
  RETURN_IF_ERROR(IntFlag(parsed, "changes", 1, 100000, &f.changes));
  RETURN_IF_ERROR(IntListFlag(parsed, "spacing-ms", 1, 10000, &f.spacings_ms));
  RETURN_IF_ERROR(IntFlag(parsed, "shards", 1, 500, &f.shards));
  RETURN_IF_ERROR(IntFlag(parsed, "nodes", 2, 100, &f.nodes));
  RETURN_IF_ERROR(IntFlag(parsed, "segments", 1, 100000, &f.segments));
  RETURN_IF_ERROR(IntFlag(parsed, "restarts", 1, 100, &f.restarts));
  RETURN_IF_ERROR(IntFlag(parsed, "phase-seconds", 1, 600, &f.phase_seconds));
  RETURN_IF_ERROR(IntFlag(parsed, "rate", 1, 1000, &f.rate));
  return f;
}

// Parts 2 and 3 share one larger stack.
Status RunLargeFleetParts(const ControllerBenchFlags& flags) {
  FleetShape shape{"bench", flags.shards, flags.nodes, 30000};
  ASSIGN_OR_RETURN(auto stack, StartControllerBenchStack(shape, flags.segments));
  RETURN_IF_ERROR(WaitFleetApplied(*stack, milliseconds(120000)));
  std::printf(
      "controller_bench: initial sync, controller start -> HAProxy shows all %zu servers "
      "and the map: %.0f ms\n",
      2 * stack->fleet->nodes().size(),
      std::chrono::duration<double, std::milli>(Clock::now() - stack->controller_started).count());
  if (flags.parts.find('2') != std::string::npos) RETURN_IF_ERROR(RunResync(*stack, flags));
  if (harness::ShutdownRequested()) return Status::Ok();
  if (flags.parts.find('3') != std::string::npos) RETURN_IF_ERROR(RunUsage(*stack, flags));
  return Status::Ok();
}

int Run(int argc, char** argv) {
  harness::InstallShutdownHandlers();  // before any thread or child: a signal only sets a flag
  // Outside ctest nobody sets the variable the harness uses to find the built programs.
  setenv("SHARDGATE_BINARY_DIR", SHARDGATE_DEFAULT_BINARY_DIR, /*overwrite=*/0);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (argc > 1 && (std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h")) {
    std::printf("%s", kUsage);
    return 0;
  }
  Result<ControllerBenchFlags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) {
    std::fprintf(stderr, "controller_bench: %s\n%s", flags.status().message().c_str(), kUsage);
    return 2;
  }
  const Clock::time_point started = Clock::now();
  int failed = 0;
  if (flags->parts.find('1') != std::string::npos) {
    if (Status s = RunApplyLatency(*flags); !s.ok()) {
      std::fprintf(stderr, "controller_bench: part 1 could not run: %s\n", s.ToString().c_str());
      ++failed;
    }
  }
  if (!harness::ShutdownRequested() && flags->parts.find_first_of("23") != std::string::npos) {
    if (Status s = RunLargeFleetParts(*flags); !s.ok()) {
      std::fprintf(stderr, "controller_bench: parts 2/3 could not run: %s\n", s.ToString().c_str());
      ++failed;
    }
  }
  std::printf("controller_bench: total %.0f s\n",
              std::chrono::duration<double>(Clock::now() - started).count());
  return failed > 0 || harness::ShutdownRequested() ? 1 : 0;
}

}  // namespace
}  // namespace shardgate::bench

int main(int argc, char** argv) { return shardgate::bench::Run(argc, argv); }
