// shardgate-haproxy: renders the HAProxy configuration and map files, pushes and shows the range
// map, lists server states and renews TLS certificates through the runtime API.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "common/file.h"
#include "common/flags.h"
#include "common/numbers.h"
#include "haproxy/cert_renewal.h"
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
    "  shardgate-haproxy tls-cert --socket SOCK --cert PATH --from new.pem\n"
    "SOCK is a Unix socket path (/run/haproxy/shardgate.sock) or host:port; ranges.txt holds\n"
    "'lo hi shard' lines ('-' reads standard input).\n"
    "tls-cert: HAProxy serves new.pem (certificate, chain and key) for the bind file PATH from\n"
    "the next handshake, without a reload, then new.pem is written over PATH (the socket needs\n"
    "'level admin'). When HAProxy refuses new.pem, PATH is left as it was.\n";

Result<std::string> Required(const ParsedFlags& flags, const std::string& name) {
  std::optional<std::string> value = flags.Get(name);
  if (!value || value->empty()) return InvalidArgument("--" + name + " is required");
  return *value;
}

// The file at `path`, or standard input for "-".
Result<std::string> ReadInput(const std::string& path) {
  if (path != "-") return ReadFile(path);
  std::ostringstream text;
  text << std::cin.rdbuf();
  return text.str();
}

Result<uint64_t> ParseVersion(const std::string& text) {
  uint64_t v = 0;
  if (!ParseInteger(text, &v) || v == 0) {
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
  ASSIGN_OR_RETURN(std::string text, ReadInput(path));
  ASSIGN_OR_RETURN(std::vector<model::Segment> segments,
                   Annotate(model::ParseRangeText(text), path));
  RETURN_IF_ERROR(Annotate(model::ValidateSegments(segments), path));
  return segments;
}

Status ConfigCommand(const ParsedFlags& args) {
  ConfigSpec spec;
  if (args.Has("example")) {
    if (args.Has("spec")) return InvalidArgument("give --spec or --example, not both");
    spec = ExampleConfigSpec();
  } else {
    Result<std::string> path = Required(args, "spec");
    if (!path.ok()) return InvalidArgument("--spec or --example is required");
    ASSIGN_OR_RETURN(std::string text, ReadInput(*path));
    ASSIGN_OR_RETURN(spec, Annotate(ParseConfigSpecJson(text), *path));
  }
  RETURN_IF_ERROR(ValidateConfigSpec(spec));
  std::cout << (args.Has("fragment") ? RenderFragment(spec) : RenderConfig(spec));
  return Status::Ok();
}

Status MapFileCommand(const ParsedFlags& args) {
  ASSIGN_OR_RETURN(std::string version_text, Required(args, "version"));
  ASSIGN_OR_RETURN(uint64_t version, ParseVersion(version_text));
  ASSIGN_OR_RETURN(std::vector<model::Segment> segments, ReadRanges(args.positional[0]));
  std::cout << RenderMapFile(segments, version);
  return Status::Ok();
}

Status PushMapCommand(const ParsedFlags& args) {
  ASSIGN_OR_RETURN(std::string socket_path, Required(args, "socket"));
  ASSIGN_OR_RETURN(std::string map, Required(args, "map"));
  uint64_t version = 0;
  if (std::optional<std::string> text = args.Get("version")) {
    ASSIGN_OR_RETURN(version, ParseVersion(*text));
  }
  ASSIGN_OR_RETURN(std::vector<model::Segment> segments, ReadRanges(args.positional[0]));
  std::unique_ptr<RuntimeSocket> socket = MakeSocket(socket_path);
  RuntimeClient client(*socket);
  ASSIGN_OR_RETURN(uint64_t pushed, client.PushRangeMap(map, segments, version));
  std::cout << "pushed version " << pushed << " (" << segments.size() << " segments)\n";
  return Status::Ok();
}

Status ShowMapCommand(const ParsedFlags& args) {
  ASSIGN_OR_RETURN(std::string socket_path, Required(args, "socket"));
  ASSIGN_OR_RETURN(std::string map, Required(args, "map"));
  std::unique_ptr<RuntimeSocket> socket = MakeSocket(socket_path);
  RuntimeClient client(*socket);
  ASSIGN_OR_RETURN(DecodedMap decoded, client.ReadRangeMap(map));
  std::cout << "# version " << decoded.version << ", " << decoded.segments.size() << " segments\n";
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

Status ServersCommand(const ParsedFlags& args) {
  ASSIGN_OR_RETURN(std::string socket_path, Required(args, "socket"));
  std::string backend = args.Get("backend").value_or("");
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

Status TlsCertCommand(const ParsedFlags& args) {
  ASSIGN_OR_RETURN(std::string socket_path, Required(args, "socket"));
  ASSIGN_OR_RETURN(std::string cert_path, Required(args, "cert"));
  ASSIGN_OR_RETURN(std::string from, Required(args, "from"));
  ASSIGN_OR_RETURN(std::string pem, ReadInput(from));
  std::unique_ptr<RuntimeSocket> socket = MakeSocket(socket_path);
  RuntimeClient client(*socket);
  RETURN_IF_ERROR(RenewCertificate(client, cert_path, pem));
  ASSIGN_OR_RETURN(SslCertInfo served,
                   Annotate(client.ShowSslCert(cert_path), "renewed, but cannot show it"));
  std::cout << "HAProxy serves " << served.filename << ": serial " << served.serial << ", subject "
            << served.subject << ", not after " << served.not_after << " (file rewritten)\n";
  return Status::Ok();
}

// A command: its flags, how many file arguments it takes, and what it does.
struct Command {
  const char* name;
  FlagSet flags;
  size_t files;
  Status (*run)(const ParsedFlags& args);
};

const Command* FindCommand(const std::string& name) {
  static const auto* commands = new std::vector<Command>{
      {"config", FlagSet().Value("spec").Bool("example").Bool("fragment"), 0, ConfigCommand},
      {"map-file", FlagSet().Value("version"), 1, MapFileCommand},
      {"push-map", FlagSet().Value("socket").Value("map").Value("version"), 1, PushMapCommand},
      {"show-map", FlagSet().Value("socket").Value("map"), 0, ShowMapCommand},
      {"servers", FlagSet().Value("socket").Value("backend"), 0, ServersCommand},
      {"tls-cert", FlagSet().Value("socket").Value("cert").Value("from"), 0, TlsCertCommand},
  };
  for (const Command& c : *commands) {
    if (name == c.name) return &c;
  }
  return nullptr;
}

// Runs the named command on argv[2..]; unknown commands, flags and file counts are errors.
Status Dispatch(const std::string& name, int argc, char** argv) {
  const Command* command = FindCommand(name);
  if (command == nullptr) return InvalidArgument("unknown command '" + name + "'");
  ASSIGN_OR_RETURN(auto args, command->flags.Parse({argv + 2, argv + argc}));
  if (args.positional.size() != command->files) {
    return InvalidArgument("expected " + std::to_string(command->files) +
                           " file argument(s), got " + std::to_string(args.positional.size()));
  }
  return command->run(args);
}

}  // namespace
}  // namespace shardgate::haproxy

int main(int argc, char** argv) {
  const std::string command = argc < 2 ? "" : argv[1];
  if (command.empty() || command == "-h" || command == "--help" || command == "help") {
    (command.empty() ? std::cerr : std::cout) << shardgate::haproxy::kUsage;
    return command.empty() ? 1 : 0;
  }
  shardgate::Status s = shardgate::haproxy::Dispatch(command, argc, argv);
  if (!s.ok()) {
    std::cerr << "shardgate-haproxy " << command << ": " << s.ToString() << "\n";
    return 1;
  }
  return 0;
}
