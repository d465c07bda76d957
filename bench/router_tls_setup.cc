// The set-up of router_tls_bench (see router_tls_setup.h).
#include "bench/router_tls_setup.h"

#include <chrono>
#include <string>

#include "bench/pgbench_runs.h"

namespace shardgate::bench {

Result<TlsBenchSetup> StartTlsBenchSetup() {
  TlsBenchSetup setup;
  ASSIGN_OR_RETURN(setup.dir, harness::TempDir::Create("shardgate-router-tls-bench"));
  const std::filesystem::path dir = setup.dir->path();
  ASSIGN_OR_RETURN(harness::TestCerts ca, Annotate(harness::MakeTestCa(dir / "certs"), "CA"));
  ASSIGN_OR_RETURN(setup.cert,
                   Annotate(harness::IssueServerCert(ca, "server", {"localhost", "127.0.0.1"}),
                            "server certificate"));
  harness::PgNodeSpec spec{"n1", "shard_1/n1", dir, 0};
  spec.tls = setup.cert;
  ASSIGN_OR_RETURN(setup.node, Annotate(harness::PgNode::StartPrimary(spec), "PostgreSQL"));
  const int server_port = setup.node->port();
  RETURN_IF_ERROR(InitPgbench(server_port));
  haproxy::TlsSpec tls;
  tls.cert_path = setup.cert.pem.string();
  ASSIGN_OR_RETURN(setup.router,
                   Annotate(StartRouterHaproxy(dir / "router", server_port, {{0, 9999, "shard_1"}},
                                               std::chrono::milliseconds(5000), {}, tls),
                            "router with TLS"));
  ASSIGN_OR_RETURN(setup.peer,
                   Annotate(StartTlsTerminatingHaproxy(dir / "peer", server_port, tls.cert_path),
                            "HAProxy terminating TLS"));
  return setup;
}

}  // namespace shardgate::bench
