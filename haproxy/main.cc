// shardgate-haproxy: renders the HAProxy configuration and map files, pushes and shows the range
// map, and lists server states through the runtime API.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "haproxy/config.h"
#include "haproxy/config_json.h"
#include "haproxy/range_map.h"
#include "haproxy/runtime_client.h"
#include "haproxy/runtime_socket.h"
#include "model/range.h"

namespace shardgate::haproxy {
namespace {

constexpr std::chrono::milliseconds kSocketTimeout{5000};

constexpr const char* kUsage =
    "usage:\n"
    "  shardgate-haproxy config (--spec spec.json | --example) [--fragment]\n"
    "  shardgate-haproxy map-file --version N ranges.txt\n"
    "  shardgate-haproxy push-map --socket SOCK --map MAP [--version N] ranges.txt\n"
    "  shardgate-haproxy show-map --socket SOCK --map MAP\n"
    "  shardgate-haproxy servers --socket SOCK [--backend NAME]\n"
    "SOCK is a Unix socket path (/run/haproxy/shardgate.sock) or host:port; ranges.txt holds\n"
    "'lo hi shard' lines ('-' reads standard input).\n";

// "--name value" options, "--flag" switches and positional arguments.
struct Args {
  std::map<std::string, std::string> options;
  std::vector<std::string> positional;
};

Result<Args> ParseArgs(int argc, char** argv, const std::vector<std::string>& switches) {
  Args args;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      args.positional.push_back(arg);
      continue;
    }
    bool is_switch = std::find(switches.begin(), switches.end(), arg) != switches.end();
    if (is_switch) {
      args.options[arg] = "";
    } else if (i + 1 < argc) {
      args.options[arg] = argv[++i];
    } else {
      return InvalidArgument(arg + " needs a value");
    }
  }
  return args;
}

// Refuses options the command does not know, naming them.
Status OnlyOptions(const Args& args, const std::vector<std::string>& known, size_t positional) {
  for (const auto& [name, value] : args.options) {
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      return InvalidArgument("unknown option " + name);
    }
  }
  if (args.positional.size() != positional) {
    return InvalidArgument("expected " + std::to_string(positional) + " file argument(s), got " +
                           std::to_string(args.positional.size()));
  }
  return Status::Ok();
}

Result<std::string> Required(const Args& args, const std::string& name) {
  auto it = args.options.find(name);
  if (it == args.options.end() || it->second.empty()) return InvalidArgument(name + " is required");
  return it->second;
}

Result<std::string> ReadFile(const std::string& path) {
  if (path == "-") {
    std::ostringstream text;
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Result<uint64_t> ParseVersion(const std::string& text) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v == 0) {
    return InvalidArgument("--version '" + text + "' is not a positive integer");
  }
  return v;
}

// A path is a Unix socket; "host:port" is the TCP form (stats socket ipv4@host:port).
std::unique_ptr<RuntimeSocket> MakeSocket(const std::string& where) {
  size_t colon = where.rfind(':');
  if (where.front() == '/' || colon == std::string::npos) {
    return std::make_unique<UnixRuntimeSocket>(where, kSocketTimeout);
  }
  int port = 0;
  std::from_chars(where.data() + colon + 1, where.data() + where.size(), port);
  return std::make_unique<TcpRuntimeSocket>(where.substr(0, colon), port, kSocketTimeout);
}

Result<std::vector<model::Segment>> ReadRanges(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  ASSIGN_OR_RETURN(std::vector<model::Segment> segments, Annotate(model::ParseRangeText(text), path));
  RETURN_IF_ERROR(Annotate(model::ValidateSegments(segments), path));
  return segments;
}

Status ConfigCommand(const Args& args) {
  RETURN_IF_ERROR(OnlyOptions(args, {"--spec", "--example", "--fragment"}, 0));
  ConfigSpec spec;
  if (args.options.count("--example")) {
    if (args.options.count("--spec")) return InvalidArgument("give --spec or --example, not both");
    spec = ExampleConfigSpec();
  } else {
    Result<std::string> path = Required(args, "--spec");
    if (!path.ok()) return InvalidArgument("--spec or --example is required");
    ASSIGN_OR_RETURN(std::string text, ReadFile(*path));
    ASSIGN_OR_RETURN(spec, Annotate(ParseConfigSpecJson(text), *path));
  }
  RETURN_IF_ERROR(ValidateConfigSpec(spec));
  std::cout << (args.options.count("--fragment") ? RenderFragment(spec) : RenderConfig(spec));
  return Status::Ok();
}

Status MapFileCommand(const Args& args) {
  RETURN_IF_ERROR(OnlyOptions(args, {"--version"}, 1));
  ASSIGN_OR_RETURN(std::string version_text, Required(args, "--version"));
  ASSIGN_OR_RETURN(uint64_t version, ParseVersion(version_text));
  ASSIGN_OR_RETURN(std::vector<model::Segment> segments, ReadRanges(args.positional[0]));
  std::cout << RenderMapFile(segments, version);
  return Status::Ok();
}

Status PushMapCommand(const Args& args) {
  RETURN_IF_ERROR(OnlyOptions(args, {"--socket", "--map", "--version"}, 1));
  ASSIGN_OR_RETURN(std::string socket_path, Required(args, "--socket"));
  ASSIGN_OR_RETURN(std::string map, Required(args, "--map"));
  uint64_t version = 0;
  if (args.options.count("--version")) {
    ASSIGN_OR_RETURN(version, ParseVersion(args.options.at("--version")));
  }
  ASSIGN_OR_RETURN(std::vector<model::Segment> segments, ReadRanges(args.positional[0]));
  std::unique_ptr<RuntimeSocket> socket = MakeSocket(socket_path);
  RuntimeClient client(*socket);
  ASSIGN_OR_RETURN(uint64_t pushed, client.PushRangeMap(map, segments, version));
  std::cout << "pushed version " << pushed << " (" << segments.size() << " segments)\n";
  return Status::Ok();
}

Status ShowMapCommand(const Args& args) {
  RETURN_IF_ERROR(OnlyOptions(args, {"--socket", "--map"}, 0));
  ASSIGN_OR_RETURN(std::string socket_path, Required(args, "--socket"));
  ASSIGN_OR_RETURN(std::string map, Required(args, "--map"));
  std::unique_ptr<RuntimeSocket> socket = MakeSocket(socket_path);
  RuntimeClient client(*socket);
  ASSIGN_OR_RETURN(DecodedMap decoded, client.ReadRangeMap(map));
  std::cout << "# version " << decoded.version << ", " << decoded.segments.size()
            << " segments\n";
  for (const model::Segment& seg : decoded.segments) {
    std::cout << seg.lo << " " << seg.hi << " " << seg.shard << "\n";
  }
  return Status::Ok();
}

// The STATE column: the words of HAProxy's stats page rather than the log names.
const char* OpStateColumn(OpState state) {
  switch (state) {
    case OpState::kStopped: return "DOWN";
    case OpState::kStarting: return "STARTING";
    case OpState::kRunning: return "UP";
    case OpState::kStopping: return "STOPPING";
  }
  return "?";
}

Status ServersCommand(const Args& args) {
  RETURN_IF_ERROR(OnlyOptions(args, {"--socket", "--backend"}, 0));
  ASSIGN_OR_RETURN(std::string socket_path, Required(args, "--socket"));
  std::string backend = args.options.count("--backend") ? args.options.at("--backend") : "";
  std::unique_ptr<RuntimeSocket> socket = MakeSocket(socket_path);
  RuntimeClient client(*socket);
  ASSIGN_OR_RETURN(std::vector<ServerState> states, client.ShowServersState(backend));
  std::printf("%-24s %-16s %-28s %-9s %-6s %s\n", "BACKEND", "SERVER", "ADDRESS", "STATE", "ADMIN",
              "WEIGHT");
  for (const ServerState& st : states) {
    std::string addr = st.addr + ":" + std::to_string(st.port);
    std::printf("%-24s %-16s %-28s %-9s %-6s %d/%d\n", st.backend.c_str(), st.server.c_str(),
                addr.c_str(), OpStateColumn(st.op_state),
                std::string(st.admin_state.Summary()).c_str(), st.weight, st.initial_weight);
  }
  return Status::Ok();
}

}  // namespace
}  // namespace shardgate::haproxy

// Runs the named command; unknown commands are an error naming them.
shardgate::Status Dispatch(const std::string& command, const shardgate::haproxy::Args& args) {
  using namespace shardgate::haproxy;
  if (command == "config") return ConfigCommand(args);
  if (command == "map-file") return MapFileCommand(args);
  if (command == "push-map") return PushMapCommand(args);
  if (command == "show-map") return ShowMapCommand(args);
  if (command == "servers") return ServersCommand(args);
  return shardgate::InvalidArgument("unknown command '" + command + "'");
}

int main(int argc, char** argv) {
  const std::string command = argc < 2 ? "" : argv[1];
  if (command.empty() || command == "-h" || command == "--help" || command == "help") {
    (command.empty() ? std::cerr : std::cout) << shardgate::haproxy::kUsage;
    return command.empty() ? 1 : 0;
  }
  shardgate::Result<shardgate::haproxy::Args> args =
      shardgate::haproxy::ParseArgs(argc, argv, {"--example", "--fragment"});
  shardgate::Status s = args.ok() ? Dispatch(command, *args) : args.status();
  if (!s.ok()) {
    std::cerr << "shardgate-haproxy " << command << ": " << s.ToString() << "\n";
    return 1;
  }
  return 0;
}
