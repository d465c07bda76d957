// Integration: the rendered configuration is accepted by the real HAProxy 2.6 with the
// repository's Lua router, and a pushed range map is what HAProxy then holds.
#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "common/file.h"
#include "haproxy/config.h"
#include "haproxy/runtime_client.h"
#include "haproxy/runtime_socket.h"
#include "tests/harness/ports.h"
#include "tests/harness/process.h"
#include "tests/harness/stack.h"
#include "tests/harness/temp_dir.h"
#include "tests/harness/test_certs.h"

namespace shardgate::haproxy {
namespace {

using harness::TempDir;

void Write(const std::filesystem::path& path, const std::string& text) {
  Status written = WriteFile(path, text);
  REQUIRE_MESSAGE(written.ok(), written.ToString());
}

// A spec for two shards whose files live in `dir`, with the repository's Lua router.
ConfigSpec SpecIn(const std::filesystem::path& dir) {
  ConfigSpec spec = ExampleConfigSpec();
  spec.shards.pop_back();
  spec.rw_port = harness::FreePort().value();
  spec.ro_port = harness::FreePort().value();
  spec.stats_port = harness::FreePort().value();
  spec.socket_path = (dir / "haproxy.sock").string();
  spec.lua_dir = (harness::SourceDir() / "lua").string();
  spec.ranges_map_path = (dir / "shardgate_ranges.map").string();
  spec.cancel_map_path = (dir / "shardgate_cancel.map").string();
  Write(spec.ranges_map_path, "");
  Write(spec.cancel_map_path, "");
  return spec;
}

// `haproxy -c`: exit 0 and neither warnings nor alerts.
void CheckAccepted(const std::vector<std::string>& files) {
  std::vector<std::string> argv = {"haproxy", "-c"};
  for (const std::string& f : files) {
    argv.push_back("-f");
    argv.push_back(f);
  }
  Result<harness::CommandResult> run = harness::RunCommand(argv, {}, std::chrono::seconds(20));
  REQUIRE(run.ok());
  std::string output = run->out + run->err;
  CAPTURE(output);
  CHECK(run->exit_code == 0);
  CHECK(output.find("[WARNING]") == std::string::npos);
  CHECK(output.find("[ALERT]") == std::string::npos);
}

TEST_CASE("haproxy -c accepts the rendered configuration with the repository's router") {
  Result<std::unique_ptr<TempDir>> dir = TempDir::Create("sg-haproxy-config");
  REQUIRE(dir.ok());
  ConfigSpec spec = SpecIn((*dir)->path());
  REQUIRE(ValidateConfigSpec(spec).ok());
  const std::string cfg = ((*dir)->path() / "haproxy.cfg").string();
  Write(cfg, RenderConfig(spec));
  CheckAccepted({cfg});
}

TEST_CASE("haproxy -c accepts the fragment loaded after an existing configuration") {
  Result<std::unique_ptr<TempDir>> dir = TempDir::Create("sg-haproxy-fragment");
  REQUIRE(dir.ok());
  ConfigSpec spec = SpecIn((*dir)->path());
  const std::string base = ((*dir)->path() / "haproxy.cfg").string();
  const std::string fragment = ((*dir)->path() / "shardgate.cfg").string();
  Write(base, "global\n  log stdout format raw local0\n"
              "defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n"
              "  timeout server 30s\n"
              "frontend web\n  bind 127.0.0.1:" +
                  std::to_string(harness::FreePort().value()) +
                  "\n  default_backend app\n"
                  "backend app\n  server a 127.0.0.1:1\n");
  Write(fragment, RenderFragment(spec));
  CheckAccepted({base, fragment});
}

// Renders `spec` into `dir`/haproxy.cfg and runs `haproxy -c` on it.
void CheckRenderingAccepted(const ConfigSpec& spec, const std::filesystem::path& dir) {
  Status valid = ValidateConfigSpec(spec);
  REQUIRE_MESSAGE(valid.ok(), valid.ToString());
  const std::string cfg = (dir / "haproxy.cfg").string();
  Write(cfg, RenderConfig(spec));
  CheckAccepted({cfg});
}

TEST_CASE("haproxy -c accepts spare backends and the router reading a shards map") {
  Result<std::unique_ptr<TempDir>> dir = TempDir::Create("sg-haproxy-spares");
  REQUIRE(dir.ok());
  ConfigSpec spec = SpecIn((*dir)->path());
  spec.shards_map_path = ((*dir)->path() / "shardgate_shards.map").string();
  spec.spare_backends = 2;
  Write(spec.shards_map_path, "shard_4 shardgate_spare_1\n");
  CheckRenderingAccepted(spec, (*dir)->path());
}

TEST_CASE("haproxy -c accepts shards without servers, and spare backends without shards") {
  Result<std::unique_ptr<TempDir>> dir = TempDir::Create("sg-haproxy-empty");
  REQUIRE(dir.ok());
  ConfigSpec spec = SpecIn((*dir)->path());
  for (ShardSpec& shard : spec.shards) {
    shard.rw.clear();
    shard.ro.clear();
  }
  CheckRenderingAccepted(spec, (*dir)->path());
  spec.shards.clear();
  spec.shards_map_path = ((*dir)->path() / "shardgate_shards.map").string();
  spec.spare_backends = 1;
  Write(spec.shards_map_path, "");
  CheckRenderingAccepted(spec, (*dir)->path());
}

TEST_CASE("haproxy -c accepts TLS at the router with every option set, and with none") {
  Result<std::unique_ptr<TempDir>> dir = TempDir::Create("sg-haproxy-tls");
  REQUIRE(dir.ok());
  auto ca = harness::MakeTestCa((*dir)->path() / "tls");
  REQUIRE_MESSAGE(ca.ok(), ca.status().ToString());
  auto cert = harness::IssueServerCert(*ca, "server", {"localhost", "127.0.0.1"});
  REQUIRE_MESSAGE(cert.ok(), cert.status().ToString());
  ConfigSpec spec = SpecIn((*dir)->path());
  spec.tls.cert_path = cert->pem.string();
  CheckRenderingAccepted(spec, (*dir)->path());
  spec.tls.require_rw = true;
  spec.tls.min_version = "TLSv1.3";
  spec.tls.ciphers = "ECDHE+AESGCM";
  spec.tls.ciphersuites = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384";
  spec.tls.ca_file = ca->ca_cert.string();
  spec.tls.verify = "optional";
  spec.tls.socket_dir = ((*dir)->path() / "tls").string();
  CheckRenderingAccepted(spec, (*dir)->path());
}

// Polls `show info` until HAProxy answers on its stats socket or the deadline passes.
bool WaitForSocket(RuntimeClient& client, std::chrono::steady_clock::time_point deadline) {
  while (std::chrono::steady_clock::now() < deadline) {
    if (client.ShowInfo().ok()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

TEST_CASE("a pushed range map is what HAProxy holds afterwards, and versions increase") {
  Result<std::unique_ptr<TempDir>> dir = TempDir::Create("sg-haproxy-push");
  REQUIRE(dir.ok());
  ConfigSpec spec = SpecIn((*dir)->path());
  const std::string cfg = ((*dir)->path() / "haproxy.cfg").string();
  Write(cfg, RenderConfig(spec));
  harness::ProcessOptions options;
  options.argv = {"haproxy", "-db", "-f", cfg};
  options.log_path = (*dir)->path() / "haproxy.log";
  Result<std::unique_ptr<harness::Process>> haproxy = harness::Process::Spawn(options);
  REQUIRE(haproxy.ok());
  UnixRuntimeSocket socket(spec.socket_path, std::chrono::seconds(5));
  RuntimeClient client(socket);
  REQUIRE(WaitForSocket(client, std::chrono::steady_clock::now() + std::chrono::seconds(10)));

  std::vector<model::Segment> segments;
  for (int64_t i = 0; i < 20'000; ++i) {
    int64_t lo = i * 10 - 100'000;
    segments.push_back({lo, lo + 9, i % 2 ? "shard_1" : "shard_2"});
  }
  Result<uint64_t> first = client.PushRangeMap(spec.ranges_map_path, segments);
  REQUIRE(first.ok());
  CHECK(*first == 1);
  Result<DecodedMap> held = client.ReadRangeMap(spec.ranges_map_path);
  REQUIRE(held.ok());
  CHECK(held->version == 1);
  CHECK(held->segments == segments);

  Result<uint64_t> second = client.PushRangeMap(spec.ranges_map_path, {{-5, 5, "shard_2"}});
  REQUIRE(second.ok());
  CHECK(*second == 2);
  held = client.ReadRangeMap(spec.ranges_map_path);
  REQUIRE(held.ok());
  CHECK(held->segments == std::vector<model::Segment>{{-5, 5, "shard_2"}});

  Result<uint64_t> bad = client.PushRangeMap((*dir)->path().string() + "/unknown.map", {});
  CHECK(bad.status().code() == Code::kNotFound);
  CHECK((*haproxy)->Stop().ok());
}

}  // namespace
}  // namespace shardgate::haproxy
