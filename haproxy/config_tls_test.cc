// Tests for the TLS options of the configuration: validation, JSON and rendering.
#include <doctest/doctest.h>

#include <string>

#include "haproxy/config.h"
#include "haproxy/config_json.h"

namespace shardgate::haproxy {
namespace {

ConfigSpec TlsSpecOn() {
  ConfigSpec spec = ExampleConfigSpec();
  spec.socket_path = "/run/haproxy/shardgate.sock";
  spec.tls.cert_path = "/etc/shardgate/tls/server.pem";
  return spec;
}

// The text of proxy section `header` (e.g. "frontend shardgate_rw_tls") up to the next section.
std::string Section(const std::string& cfg, const std::string& header) {
  size_t start = cfg.find("\n" + header + "\n");
  REQUIRE_MESSAGE(start != std::string::npos, "missing section: " << header);
  size_t end = cfg.find("\n\n", start + 1);
  return cfg.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
}

bool Has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

TEST_CASE("without a certificate nothing about TLS is rendered and SSLRequests get N") {
  std::string cfg = RenderConfig(ExampleConfigSpec());
  CHECK(Has(cfg, "tcp-request content lua.shardgate_route rw\n"));
  CHECK_FALSE(Has(cfg, "_to_tls"));
  CHECK_FALSE(Has(cfg, "ssl crt"));
  CHECK_FALSE(Has(cfg, "set-log-level silent"));
}

TEST_CASE("with a certificate each public frontend hands TLS to its own TLS frontend") {
  std::string cfg = RenderConfig(TlsSpecOn());
  for (const auto& [role, port] : {std::pair{"rw", 6432}, std::pair{"ro", 6433}}) {
    CAPTURE(role);
    const std::string fe = std::string("shardgate_") + role;
    const std::string sock = "/run/haproxy/shardgate-" + std::to_string(port);
    std::string outer = Section(cfg, "frontend " + fe);
    CHECK(Has(outer, "lua.shardgate_route " + std::string(role) + "/tls\n"));
    CHECK(Has(outer, "set-log-level silent if { var(txn.shardgate_tls_handoff) -m found }"));
    CHECK(Has(Section(cfg, "backend " + fe + "_to_tls"),
              "server tls unix@" + sock + "-tls.sock send-proxy-v2"));
    CHECK(Has(Section(cfg, "backend " + fe + "_to_tls_direct"),
              "server tls unix@" + sock + "-tls-direct.sock send-proxy-v2"));
    std::string inner = Section(cfg, "frontend " + fe + "_tls");
    CHECK(Has(inner, "bind unix@" + sock +
                         "-tls.sock mode 600 accept-proxy ssl crt /etc/shardgate/tls/server.pem "
                         "alpn postgresql ssl-min-ver TLSv1.2 name negotiated"));
    CHECK(Has(inner, "bind unix@" + sock + "-tls-direct.sock mode 600 accept-proxy ssl crt"));
    // The router refuses direct TLS without ALPN: it tells the binds apart by these names.
    CHECK(Has(inner, "-tls-direct.sock mode 600 accept-proxy ssl crt"));
    CHECK(Has(inner, " name direct\n"));
    CHECK(Has(inner, "lua.shardgate_route " + std::string(role) + "/in-tls\n"));
    CHECK(Has(inner, "timeout client 60s\n"));  // handshake and startup, then the tunnel timeout
    CHECK(Has(inner, "set-dst var(txn.shardgate_cancel_addr)"));  // cancels inside TLS
    CHECK(Has(inner, "use_backend %[var(txn.shardgate_backend)]"));
  }
}

TEST_CASE("require_rw makes only the rw frontend refuse clear-text startups") {
  ConfigSpec spec = TlsSpecOn();
  spec.tls.require_rw = true;
  std::string cfg = RenderConfig(spec);
  CHECK(Has(cfg, "lua.shardgate_route rw/tls-required\n"));
  CHECK(Has(cfg, "lua.shardgate_route ro/tls\n"));
}

TEST_CASE("TLS options are rendered on the internal binds as given") {
  ConfigSpec spec = TlsSpecOn();
  spec.tls.min_version = "TLSv1.3";
  spec.tls.ciphers = "ECDHE+AESGCM";
  spec.tls.ciphersuites = "TLS_AES_128_GCM_SHA256";
  spec.tls.ca_file = "/etc/shardgate/tls/clients.pem";
  spec.tls.verify = "required";
  spec.tls.socket_dir = "/run/shardgate";
  REQUIRE(ValidateConfigSpec(spec).ok());
  std::string cfg = RenderConfig(spec);
  CHECK(Has(cfg, "bind unix@/run/shardgate/shardgate-6432-tls.sock mode 600 accept-proxy ssl crt "
                 "/etc/shardgate/tls/server.pem alpn postgresql ssl-min-ver TLSv1.3 ciphers "
                 "ECDHE+AESGCM ciphersuites TLS_AES_128_GCM_SHA256 ca-file "
                 "/etc/shardgate/tls/clients.pem verify required name negotiated"));
  CHECK(TlsHandoffSocket(spec, 6433, true) == "/run/shardgate/shardgate-6433-tls-direct.sock");
}

TEST_CASE("the fragment carries the TLS proxies too") {
  CHECK(Has(RenderFragment(TlsSpecOn()), "frontend shardgate_ro_tls\n"));
}

TEST_CASE("established sessions are governed by the tunnel timeout") {
  CHECK(Has(RenderConfig(ExampleConfigSpec()), "  timeout tunnel 1h\n"));
}

TEST_CASE("the log line ends with the TLS protocol of the session") {
  CHECK(Has(RenderConfig(ExampleConfigSpec()),
            "err=%[var(txn.shardgate_error)] tls=%[ssl_fc_protocol]\""));
}

TEST_CASE("TLS validation errors name the field") {
  auto message = [](void (*edit)(ConfigSpec*)) {
    ConfigSpec spec = TlsSpecOn();
    edit(&spec);
    return ValidateConfigSpec(spec).message();
  };
  CHECK(message([](ConfigSpec* s) {
          s->tls.cert_path.clear();
          s->tls.require_ro = true;
        }) == "tls.require_rw/require_ro need tls.cert_path (TLS is off)");
  CHECK(message([](ConfigSpec* s) { s->tls.cert_path = "server.pem"; }).rfind("tls.cert_path", 0) ==
        0);
  CHECK(message([](ConfigSpec* s) { s->tls.verify = "yes"; }) ==
        "tls.verify 'yes' must be none, optional or required");
  CHECK(message([](ConfigSpec* s) {
          s->tls.verify = "required";
        }).rfind("tls.verify required needs tls.ca_file", 0) == 0);
  CHECK(message([](ConfigSpec* s) {
          s->tls.ca_file = "/ca.pem";
        }).rfind("tls.ca_file is set but tls.verify is none", 0) == 0);
  CHECK(message([](ConfigSpec* s) { s->tls.min_version = "TLSv1.0"; }) ==
        "tls.min_version 'TLSv1.0' must be TLSv1.2 or TLSv1.3");
  CHECK(message([](ConfigSpec* s) { s->tls.ciphers = "A B"; }).rfind("tls.ciphers", 0) == 0);
  CHECK(message([](ConfigSpec* s) {
          s->tls.socket_dir = "/" + std::string(100, 'd');
        }).rfind("TLS hand-off socket '/ddd", 0) == 0);
}

TEST_CASE("the JSON spec reads the tls object and rejects unknown keys in it by path") {
  Result<ConfigSpec> spec = ParseConfigSpecJson(R"({"tls": {
    "cert_path": "/c.pem", "ca_file": "/ca.pem", "verify": "optional", "min_version": "TLSv1.3",
    "ciphers": "X", "ciphersuites": "Y", "require_rw": true, "require_ro": false,
    "socket_dir": "/s"}})");
  REQUIRE_MESSAGE(spec.ok(), spec.status().ToString());
  CHECK(spec->tls.cert_path == "/c.pem");
  CHECK(spec->tls.ca_file == "/ca.pem");
  CHECK(spec->tls.verify == "optional");
  CHECK(spec->tls.min_version == "TLSv1.3");
  CHECK(spec->tls.ciphers == "X");
  CHECK(spec->tls.ciphersuites == "Y");
  CHECK(spec->tls.require_rw);
  CHECK_FALSE(spec->tls.require_ro);
  CHECK(spec->tls.socket_dir == "/s");
  CHECK(ParseConfigSpecJson(R"({"tls": {"cert": "/c.pem"}})").status().message() ==
        "unknown key tls.cert");
  CHECK(ParseConfigSpecJson(R"({"tls": {"require_rw": "yes"}})").status().message() ==
        "tls.require_rw must be true or false");
}

}  // namespace
}  // namespace shardgate::haproxy
