// Tests for the runtime-API reply parsers, with replies captured from HAProxy 2.6.12 (testdata/).
#include "haproxy/replies.h"

#include <doctest/doctest.h>

#include "common/file.h"

namespace shardgate::haproxy {
namespace {

std::string Captured(const std::string& name) {
  Result<std::string> text = ReadFile(std::string(SHARDGATE_SOURCE_DIR) + "/haproxy/testdata/" +
                                      name + ".txt");
  REQUIRE_MESSAGE(text.ok(), text.status().ToString());
  return *text;
}

TEST_CASE("show info yields pid, uptime and version") {
  Result<ProcessInfo> info = ParseShowInfo(Captured("show_info"));
  REQUIRE(info.ok());
  CHECK(info->pid == 7407);
  CHECK(info->uptime_sec == 23);
  CHECK(info->version == "2.6.12-1+deb12u4");
}

TEST_CASE("show info without Pid is a protocol error, not a zero pid") {
  std::string text = Captured("show_info");
  text.erase(text.find("Pid:"), text.find('\n', text.find("Pid:")) - text.find("Pid:"));
  CHECK(ParseShowInfo(text).status().code() == Code::kProtocol);
  CHECK(ParseShowInfo("").status().code() == Code::kProtocol);
}

TEST_CASE("show servers state yields one record per server with its state and weights") {
  Result<std::vector<ServerState>> states = ParseServersState(Captured("show_servers_state"));
  REQUIRE(states.ok());
  REQUIRE(states->size() == 4);
  const ServerState& rw = (*states)[0];
  CHECK(rw.backend == "shard_1_rw");
  CHECK(rw.server == "pg1");
  CHECK(rw.addr == "127.0.0.2");
  CHECK(rw.port == 19997);
  CHECK(rw.op_state == OpState::kStopped);
  CHECK(rw.admin_state.Summary() == "READY");
  CHECK(rw.weight == 10);
  CHECK(rw.initial_weight == 1);
  const ServerState& added = (*states)[3];
  CHECK(added.server == "pgb");
  // Dynamic servers start in forced maintenance.
  CHECK(added.admin_state == AdminState().With(AdminFlag::kFMaint));
  CHECK(added.admin_state.InMaintenance());
  CHECK(added.weight == 5);
  CHECK(added.fqdn == "-");
}

TEST_CASE("show servers state for one backend parses the same way") {
  Result<std::vector<ServerState>> states = ParseServersState(
      Captured("show_servers_state_backend"));
  REQUIRE(states.ok());
  CHECK(states->size() == 3);
  for (const ServerState& s : *states) CHECK(s.backend == "shard_1_ro");
}

TEST_CASE("a dynamic server set ready shows as running with its own weight") {
  Result<std::vector<ServerState>> states = ParseServersState(
      Captured("show_servers_state_dynamic"));
  REQUIRE(states.ok());
  REQUIRE(states->size() == 3);
  CHECK((*states)[2].server == "n3");
  CHECK((*states)[2].op_state == OpState::kRunning);
  CHECK(IsUp((*states)[2].op_state));
  CHECK((*states)[2].admin_state == AdminState());
  CHECK((*states)[2].weight == 7);
}

TEST_CASE("a truncated show servers state line is an error naming the column counts") {
  std::string text = Captured("show_servers_state");
  text = text.substr(0, text.rfind("19996"));  // cut inside the last line
  Result<std::vector<ServerState>> states = ParseServersState(text);
  REQUIRE_FALSE(states.ok());
  CHECK(states.status().code() == Code::kProtocol);
  CHECK(states.status().message().find("columns, header has 25") != std::string::npos);
}

TEST_CASE("garbled show servers state replies are errors, never crashes") {
  CHECK_FALSE(ParseServersState("").ok());
  CHECK_FALSE(ParseServersState("1\n").ok());
  CHECK_FALSE(ParseServersState("2\n# be_id\n").ok());
  CHECK_FALSE(ParseServersState("1\n# be_id be_name\n1 x\n").ok());  // header lacks columns
  std::string text = Captured("show_servers_state");
  size_t pos = text.find("shard_1_rw 1 pg1 127.0.0.2 0");
  text.replace(text.find(" 0 ", pos + 20), 3, " x ");
  CHECK(ParseServersState(text).status().message().find("non-numeric") != std::string::npos);
  CHECK(ParseServersState(Captured("err_cant_find_backend")).status().code() == Code::kProtocol);
}

TEST_CASE("server states HAProxy 2.6 does not define are errors naming value and line") {
  const std::string line = "3 shard_1_rw 1 pg1 127.0.0.2 0 0 10";
  std::string text = Captured("show_servers_state");
  REQUIRE(text.find(line) != std::string::npos);
  std::string bad_op = text;
  bad_op.replace(bad_op.find(line), line.size(), "3 shard_1_rw 1 pg1 127.0.0.2 4 0 10");
  Status s = ParseServersState(bad_op).status();
  CHECK(s.code() == Code::kProtocol);
  CHECK(s.message().starts_with(
      "show servers state line: srv_op_state 4 is not 0..3: '3 shard_1_rw 1 pg1"));
  std::string bad_admin = text;
  bad_admin.replace(bad_admin.find(line), line.size(), "3 shard_1_rw 1 pg1 127.0.0.2 0 128 10");
  s = ParseServersState(bad_admin).status();
  CHECK(s.code() == Code::kProtocol);
  CHECK(s.message().find("srv_admin_state 128 has bits HAProxy does not define") !=
        std::string::npos);
}

TEST_CASE("every captured server reads as HAProxy shows it: up, down or in maintenance") {
  for (const char* name :
       {"show_servers_state", "show_servers_state_backend", "show_servers_state_dynamic"}) {
    Result<std::vector<ServerState>> states = ParseServersState(Captured(name));
    REQUIRE(states.ok());
    for (const ServerState& s : *states) {
      bool added = s.server == "pgb";  // added at run time: starts in forced maintenance
      CHECK(s.admin_state.InMaintenance() == added);
      CHECK(s.admin_state.Summary() == (added ? "MAINT" : "READY"));
      CHECK_FALSE(s.admin_state.Draining());
      CHECK(IsUp(s.op_state) == (s.server == "n3"));  // only n3 passed its checks
    }
  }
}

TEST_CASE("show map yields keys and values without HAProxy's entry references") {
  Result<std::vector<std::pair<std::string, std::string>>> entries = ParseShowMap(
      Captured("show_map"));
  REQUIRE(entries.ok());
  REQUIRE(entries->size() == 2);
  CHECK((*entries)[0] == std::pair<std::string, std::string>{"meta", "2|1|1"});
  CHECK((*entries)[1] == std::pair<std::string, std::string>{"c0", "2|-5:5:s1"});
  CHECK(ParseShowMap("\n")->empty());
  CHECK_FALSE(ParseShowMap(Captured("err_unknown_map")).ok());
  CHECK_FALSE(ParseShowMap("0x55be9c503bf0 meta\n").ok());
}

TEST_CASE("prepare map yields the new map generation") {
  Result<uint64_t> v = ParsePrepareMap(Captured("prepare_map"));
  REQUIRE(v.ok());
  CHECK(*v == 2);
  CHECK_FALSE(ParsePrepareMap(Captured("err_unknown_map")).ok());
  CHECK_FALSE(ParsePrepareMap("New version created: \n").ok());
}

TEST_CASE("get map yields the value, or nothing when the key is absent") {
  Result<std::optional<std::string>> found = ParseGetMap(Captured("get_map_found"));
  REQUIRE(found.ok());
  CHECK(found->value() == "2|1|1");
  Result<std::optional<std::string>> missing = ParseGetMap(Captured("get_map_missing"));
  REQUIRE(missing.ok());
  CHECK_FALSE(missing->has_value());
  CHECK_FALSE(ParseGetMap("type=str, case=sensitive, found=yes, idx=tree, key=\"meta\"").ok());
  CHECK_FALSE(ParseGetMap(Captured("err_unknown_map")).ok());
}

TEST_CASE("show backend yields every backend name in order") {
  Result<std::vector<std::string>> names = ParseShowBackend(Captured("show_backend"));
  REQUIRE(names.ok());
  CHECK(*names == std::vector<std::string>{"shardgate_cancel", "shard_1_rw", "shard_1_ro",
                                           "shardgate_spare_1_rw", "shardgate_spare_1_ro"});
  names = ParseShowBackend("# name\n\n");
  REQUIRE(names.ok());
  CHECK(names->empty());
}

TEST_CASE("a show backend reply without its header or with a stray line is a protocol error") {
  CHECK(ParseShowBackend("").status().code() == Code::kProtocol);
  CHECK(ParseShowBackend(Captured("err_unknown_command")).status().code() == Code::kProtocol);
  Result<std::vector<std::string>> names = ParseShowBackend("# name\nshard_1_rw\nshard 1 ro\n");
  CHECK(names.status().code() == Code::kProtocol);
  CHECK(names.status().message() == "unexpected show backend reply: 'shard 1 ro'");
}

TEST_CASE("set map and del map of a key the map lacks are told apart from an unknown map") {
  CHECK(IsMissingMapKeyReply(Captured("err_set_map_entry_not_found")));
  CHECK(IsMissingMapKeyReply(Captured("err_del_map_key_not_found")));
  CHECK_FALSE(IsMissingMapKeyReply(Captured("err_unknown_map")));
  CHECK_FALSE(IsMissingMapKeyReply(Captured("add_map_payload")));
}

TEST_CASE("success replies of state-changing commands are ok") {
  for (const char* name :
       {"ok_set_weight", "ok_set_state_maint", "ok_set_addr", "ok_set_addr_unchanged",
        "ok_add_server", "ok_del_server", "add_map_payload", "commit_map", "prepare_map"}) {
    CAPTURE(name);
    CHECK(CheckCommandReply("cmd", Captured(name)).ok());
  }
}

TEST_CASE("error replies become errors naming the command and HAProxy's words") {
  Status s = CheckCommandReply("set server nope/pg1 weight 10", Captured("err_no_such_backend"));
  CHECK(s.code() == Code::kNotFound);
  CHECK(s.message() == "'set server nope/pg1 weight 10' failed: No such backend.");
  CHECK(CheckCommandReply("x", Captured("err_no_such_server")).code() == Code::kNotFound);
  CHECK(CheckCommandReply("x", Captured("err_unknown_map")).code() == Code::kNotFound);
  CHECK(CheckCommandReply("x", Captured("err_set_map_entry_not_found")).code() == Code::kNotFound);
  CHECK(CheckCommandReply("x", Captured("err_del_map_key_not_found")).code() == Code::kNotFound);
  CHECK(CheckCommandReply("x", Captured("err_unknown_command")).code() == Code::kProtocol);
  CHECK(
      CheckCommandReply("frobnicate", Captured("err_unknown_command")).message() ==
      "'frobnicate' failed: Unknown command, but maybe one of the following ones is a better match:");
  for (const char* name :
       {"err_require_backend_server", "err_weight_range", "err_bad_state", "err_invalid_addr",
        "err_server_exists", "err_del_server_not_maint", "err_commit_out_of_range",
        "err_add_map_future_version", "err_enable_health_not_configured"}) {
    CAPTURE(name);
    CHECK(CheckCommandReply("cmd", Captured(name)).code() == Code::kInvalidArgument);
  }
}

TEST_CASE("a payload command is named by its first line only") {
  Status s = CheckCommandReply("add map @9 /x.map <<\nmeta 1|0|0\n",
                               Captured("err_add_map_future_version"));
  CHECK(
      s.message() ==
      "'add map @9 /x.map <<' failed: Version number in the future, please use 'prepare map' before.");
}

TEST_CASE("query replies are errors only when HAProxy says so") {
  CHECK(CheckQueryReply("show info", Captured("show_info")).ok());
  CHECK(CheckQueryReply("show servers state nope", Captured("err_cant_find_backend")).code() ==
        Code::kNotFound);
  CHECK(CheckQueryReply("show map /x", Captured("err_unknown_map")).code() == Code::kNotFound);
}

constexpr const char* kCertPath = "/tmp/shardgate-tls/site.pem";

TEST_CASE("set ssl cert names the file whose transaction was created or updated") {
  Result<SslCertTransaction> created = ParseSetSslCert(kCertPath,
                                                       Captured("ok_set_ssl_cert_created"));
  REQUIRE(created.ok());
  CHECK(created->path == kCertPath);
  CHECK(created->created);
  Result<SslCertTransaction> updated = ParseSetSslCert(kCertPath,
                                                       Captured("ok_set_ssl_cert_updated"));
  REQUIRE(updated.ok());
  CHECK(updated->path == kCertPath);
  CHECK_FALSE(updated->created);
}

TEST_CASE("set ssl cert while another file's transaction is open names that other file") {
  Result<SslCertTransaction> t = ParseSetSslCert(kCertPath,
                                                 Captured("set_ssl_cert_other_transaction"));
  REQUIRE(t.ok());
  CHECK(t->path == "/tmp/shardgate-tls/other.pem");
}

TEST_CASE("set ssl cert refusals carry HAProxy's whole message") {
  Status unreadable = ParseSetSslCert(kCertPath, Captured("err_set_ssl_cert_unreadable")).status();
  CHECK(unreadable.code() == Code::kInvalidArgument);
  CHECK(unreadable.message().find("unable to load certificate from file "
                                  "'/tmp/shardgate-tls/site.pem'. Can't load the payload "
                                  "Can't update /tmp/shardgate-tls/site.pem!") !=
        std::string::npos);
  Status unused = ParseSetSslCert(kCertPath, Captured("err_set_ssl_cert_not_referenced")).status();
  CHECK(unused.code() == Code::kInvalidArgument);
  CHECK(unused.message().find("not referenced by the configuration") != std::string::npos);
  CHECK(ParseSetSslCert(kCertPath, "Permission denied\n\n").status().code() ==
        Code::kPermissionDenied);
}

TEST_CASE("a garbled or empty set ssl cert reply is a protocol error naming the expected reply") {
  for (const char* reply : {"", "Transaction created for certificate\n\n",
                            "Transaction created for certificate /a.pem!\nand more\n",
                            "Committing /a.pem.\nSuccess!\n"}) {
    Status s = ParseSetSslCert("/a.pem", reply).status();
    CHECK(s.code() == Code::kProtocol);
    CHECK(s.message().find("expected 'Transaction created for certificate /a.pem!'") !=
          std::string::npos);
  }
}

TEST_CASE("commit ssl cert succeeds on Committing, a dot per bind, then Success") {
  CHECK(ParseCommitSslCert(kCertPath, Captured("ok_commit_ssl_cert")).ok());
  CHECK(ParseCommitSslCert(kCertPath, "Committing /tmp/shardgate-tls/site.pem\nSuccess!\n").ok());
  // Another file's name, a stray character after the dots, or no Success line are garbled.
  CHECK(ParseCommitSslCert("/tmp/shardgate-tls/site.pe", Captured("ok_commit_ssl_cert")).code() ==
        Code::kProtocol);
  CHECK(ParseCommitSslCert(kCertPath, "Committing /tmp/shardgate-tls/site.pem.x\nSuccess!\n")
            .code() == Code::kProtocol);
  CHECK(ParseCommitSslCert(kCertPath, "Committing /tmp/shardgate-tls/site.pem.\n").code() ==
        Code::kProtocol);
}

TEST_CASE("commit ssl cert refusals carry HAProxy's reason") {
  Status mismatch = ParseCommitSslCert(kCertPath, Captured("err_commit_ssl_cert_key_mismatch"));
  CHECK(mismatch.code() == Code::kInvalidArgument);
  CHECK(mismatch.message().find("inconsistencies between private key and certificate loaded") !=
        std::string::npos);
  Status no_key = ParseCommitSslCert(kCertPath, Captured("err_commit_ssl_cert_no_key"));
  CHECK(no_key.code() == Code::kInvalidArgument);
  CHECK(no_key.message().find("at least a certificate and a private key") != std::string::npos);
  CHECK(ParseCommitSslCert(kCertPath, Captured("err_commit_ssl_cert_other_transaction")).code() ==
        Code::kConflict);
}

TEST_CASE("abort ssl cert is ok for the file named, not found without a transaction") {
  CHECK(ParseAbortSslCert(kCertPath, Captured("ok_abort_ssl_cert")).ok());
  CHECK(ParseAbortSslCert(kCertPath, Captured("err_abort_ssl_cert_no_transaction")).code() ==
        Code::kNotFound);
  CHECK(ParseAbortSslCert(kCertPath, Captured("err_abort_ssl_cert_other_transaction")).code() ==
        Code::kConflict);
  CHECK(ParseAbortSslCert("/other.pem", Captured("ok_abort_ssl_cert")).code() == Code::kProtocol);
}

TEST_CASE("show ssl cert yields the served certificate's serial, subject and validity") {
  Result<SslCertInfo> info = ParseShowSslCert(Captured("show_ssl_cert"));
  REQUIRE(info.ok());
  CHECK(info->filename == kCertPath);
  CHECK(info->status == "Used");
  CHECK(info->serial == "03E9");
  CHECK(info->not_before == "Nov 30 19:00:27 2026 GMT");
  CHECK(info->not_after == "Dec 30 19:00:27 2026 GMT");
  CHECK(info->subject == "/CN=cert-a");
  CHECK(info->issuer == "/CN=cert-a");
  CHECK(info->sha1_fingerprint == "409877A76747B29C87AF670946EEB26521D77964");
}

TEST_CASE("show ssl cert of an unknown file is not found, a reply without serial garbled") {
  CHECK(ParseShowSslCert(Captured("err_show_ssl_cert_not_found")).status().code() ==
        Code::kNotFound);
  CHECK(ParseShowSslCert("# filename\n/a.pem\n\n").status().code() == Code::kProtocol);
}

}  // namespace
}  // namespace shardgate::haproxy
