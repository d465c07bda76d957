// The set-up of router_tls_bench: one PostgreSQL 15 node with ssl=on, a throwaway CA and server
// certificate, the router with TLS on, and HAProxy terminating TLS in mode tcp without Lua, both
// HAProxys in front of that node.
#pragma once

#include <memory>

#include "bench/router_setup.h"
#include "common/status.h"
#include "tests/harness/pg_node.h"
#include "tests/harness/temp_dir.h"
#include "tests/harness/test_certs.h"

namespace shardgate::bench {

// Members are destroyed bottom-up: both HAProxys, then the node, then the directory.
struct TlsBenchSetup {
  std::unique_ptr<harness::TempDir> dir;
  harness::IssuedCert cert;  // for localhost and 127.0.0.1, served by all three
  std::unique_ptr<harness::PgNode> node;
  BenchHaproxy router;  // haproxy::RenderConfig with TLS on; shard keys 0..9999 -> the node
  BenchHaproxy peer;    // `bind ... ssl crt <pem> alpn postgresql`, mode tcp, -> the node
};

// Starts everything and initialises pgbench's tables on the node. Both HAProxys run one
// thread. Errors: the first failure, annotated with the component it came from.
Result<TlsBenchSetup> StartTlsBenchSetup();

}  // namespace shardgate::bench
