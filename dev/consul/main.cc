// shardgate-consul-dev: an in-memory, single-node server speaking the subset of Consul's HTTP
// API that shardgate uses. For local runs and tests only; production uses real Consul.
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/duration.h"
#include "common/file.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/numbers.h"
#include "common/stop_signals.h"
#include "dev/consul/http_server.h"
#include "dev/consul/snapshot.h"
#include "dev/consul/state.h"

namespace {

using shardgate::Result;
using shardgate::Status;
using namespace shardgate::consul::dev;

constexpr const char* kUsage =
    "usage: shardgate-consul-dev [--bind ADDR] [--port N] [--node NAME] [--datacenter NAME]\n"
    "                            [--acl-token-file F]\n"
    "                            [--snapshot F] [--reap-tombstones-after DURATION]\n"
    "                            [--deregister-critical-min DURATION] [--threads N]\n"
    "                            [--tls-cert PEM --tls-key PEM]\n"
    "The ACL token comes from --acl-token-file or SHARDGATE_CONSUL_DEV_ACL_TOKEN, never argv.\n"
    "With --tls-cert and --tls-key the port speaks HTTPS only.\n";

struct Flags {
  ServerOptions server;
  StateOptions state;
  std::string snapshot;
};

Status ReadToken(const std::string& path, std::string* token) {
  Result<std::string> text = shardgate::ReadFile(path);
  if (!text.ok()) return shardgate::InvalidArgument("--acl-token-file: " + text.status().message());
  *token = std::move(text).value();
  while (!token->empty() && std::isspace(static_cast<unsigned char>(token->back())))
    token->pop_back();
  if (token->empty()) return shardgate::InvalidArgument("--acl-token-file: " + path + " is empty");
  return Status::Ok();
}

Status ParseDurationFlag(const std::string& name, const std::string& value, Nanos* out) {
  Result<Nanos> d = shardgate::ParseGoDuration(value);
  if (!d.ok() || *d < Nanos(0)) return shardgate::InvalidArgument(name + ": bad duration " + value);
  *out = *d;
  return Status::Ok();
}

// Consul's `datacenter` rule: lower-cased, then only letters, digits, '-' and '_'.
Status ParseDatacenter(const std::string& value, Flags* f) {
  std::string dc = value;
  for (char& c : dc) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const bool valid = !dc.empty() && std::all_of(dc.begin(), dc.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
  if (!valid) {
    return shardgate::InvalidArgument("--datacenter: \"" + value +
                                      "\" can only contain alphanumeric, - or _ characters");
  }
  f->server.datacenter = f->state.datacenter = dc;
  return Status::Ok();
}

Status ParseIntFlag(const std::string& name, const std::string& value, int min, int max, int* out) {
  int v = 0;
  if (!shardgate::ParseInteger(value, &v) || v < min || v > max) {
    return shardgate::InvalidArgument(name + ": expected an integer in [" + std::to_string(min) +
                                      ", " + std::to_string(max) + "], got " + value);
  }
  *out = v;
  return Status::Ok();
}

Status ApplyFlag(const std::string& name, const std::string& value, Flags* f) {
  if (name == "--bind") f->server.bind = value;
  else if (name == "--port") return ParseIntFlag(name, value, 0, 65535, &f->server.port);
  else if (name == "--node") f->server.node_name = f->state.node_name = value;
  else if (name == "--datacenter") return ParseDatacenter(value, f);
  else if (name == "--acl-token-file") return ReadToken(value, &f->server.acl_token);
  else if (name == "--snapshot") f->snapshot = value;
  else if (name == "--tls-cert") f->server.tls_cert_file = value;
  else if (name == "--tls-key") f->server.tls_key_file = value;
  else if (name == "--reap-tombstones-after")
    return ParseDurationFlag(name, value, &f->state.tombstone_ttl);
  else if (name == "--deregister-critical-min") {
    return ParseDurationFlag(name, value, &f->state.deregister_critical_min);
  } else if (name == "--threads") {
    int threads = 0;
    Status st = ParseIntFlag(name, value, 16, 4096, &threads);
    f->server.threads = static_cast<size_t>(threads);
    return st;
  } else {
    return shardgate::InvalidArgument("unknown flag " + name);
  }
  return Status::Ok();
}

// Every flag takes a value except --help (-h), which prints the usage.
shardgate::FlagSet FlagSpec() {
  shardgate::FlagSet spec;
  for (const char* name :
       {"bind", "port", "node", "datacenter", "acl-token-file", "snapshot", "tls-cert", "tls-key",
        "reap-tombstones-after", "deregister-critical-min", "threads"}) {
    spec.Value(name);
  }
  return spec.Bool("help", 'h');
}

Result<Flags> ParseFlags(int argc, char** argv) {
  Flags f;
  if (const char* token = std::getenv("SHARDGATE_CONSUL_DEV_ACL_TOKEN"); token && *token) {
    f.server.acl_token = token;
  }
  ASSIGN_OR_RETURN(shardgate::ParsedFlags parsed, FlagSpec().Parse({argv + 1, argv + argc}));
  if (parsed.Has("help")) return shardgate::InvalidArgument("help");
  if (!parsed.positional.empty()) {
    return shardgate::InvalidArgument("unexpected argument " + parsed.positional.front());
  }
  for (const auto& [name, value] : parsed.flags) {
    RETURN_IF_ERROR(ApplyFlag("--" + name, value, &f));
  }
  if (f.server.tls_cert_file.empty() != f.server.tls_key_file.empty()) {
    return shardgate::InvalidArgument("--tls-cert and --tls-key go together");
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  Result<Flags> flags = ParseFlags(argc, argv);
  if (!flags.ok()) {
    if (flags.status().message() != "help")
      std::cerr << "shardgate-consul-dev: " << flags.status().message() << "\n";
    std::cerr << kUsage;
    return 2;
  }
  std::cerr << "shardgate-consul-dev: DEVELOPMENT SERVER, in memory, NOT FOR PRODUCTION\n";
  // Before any thread starts: only the stopper thread below takes SIGINT and SIGTERM.
  shardgate::BlockStopSignals();
  signal(SIGPIPE, SIG_IGN);

  std::optional<KvSnapshot> snapshot;
  if (!flags->snapshot.empty()) {
    Result<std::optional<KvSnapshot>> loaded = ReadSnapshotFile(flags->snapshot);
    if (!loaded.ok()) {
      std::cerr << "shardgate-consul-dev: --snapshot: " << loaded.status().message() << "\n";
      return 2;
    }
    snapshot = *loaded;
  }
  shardgate::SystemClock clock;
  State state(clock, flags->state);
  state.Init(snapshot);
  if (!flags->snapshot.empty()) {
    const std::string path = flags->snapshot;
    state.SetKvObserver([path](const KvSnapshot& s) {
      if (Status st = WriteSnapshotFile(path, s); !st.ok()) {
        shardgate::Log(shardgate::LogLevel::kError, "snapshot_write_failed",
                       {{"error", st.message()}});
      }
    });
  }
  Server server(state, flags->server);
  Result<int> port = server.Bind();
  if (!port.ok()) {
    std::cerr << "shardgate-consul-dev: " << port.status().message() << "\n";
    return port.status().code() == shardgate::Code::kInvalidArgument ? 2 : 1;  // 2: bad flags
  }
  std::cerr << "shardgate-consul-dev: listening on " << flags->server.bind << ":" << *port
            << (flags->server.tls_cert_file.empty() ? " (HTTP" : " (HTTPS") << ", datacenter "
            << flags->server.datacenter
            << (flags->server.acl_token.empty() ? ", ACLs disabled)"
                                                : ", ACLs enabled, default deny)")
            << std::endl;
  std::thread timers([&state] { state.RunTimers(); });
  std::thread stopper([&server] {
    shardgate::WaitForStopSignal();
    server.Stop();
  });
  server.Serve();
  // Serve() also returns when the listener fails: make sure the stopper thread ends too.
  kill(getpid(), SIGTERM);
  stopper.join();
  timers.join();
  std::cerr << "shardgate-consul-dev: stopped" << std::endl;
  return 0;
}
