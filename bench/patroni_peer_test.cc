// Tests for the peer's HAProxy configuration: Patroni's documented settings, one server per node.
#include "bench/patroni_peer.h"

#include <doctest/doctest.h>

namespace shardgate::bench {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

TEST_CASE("the peer checks every node's Patroni /primary with Patroni's documented settings") {
  std::string cfg = RenderPatroniPeerConfig("/tmp/peer", 5000,
                                            {{"n1", 5432, 8008}, {"n2", 5433, 8009}});
  CHECK(Has(cfg, "  bind 127.0.0.1:5000"));
  CHECK(Has(cfg, "  option httpchk GET /primary"));
  CHECK(Has(cfg, "  http-check expect status 200"));
  CHECK(Has(cfg, "  default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions"));
  CHECK(Has(cfg, "  server n1 127.0.0.1:5432 maxconn 100 check port 8008"));
  CHECK(Has(cfg, "  server n2 127.0.0.1:5433 maxconn 100 check port 8009"));
  CHECK(Has(cfg, "  stats socket /tmp/peer/admin.sock mode 600 level admin"));
}

TEST_CASE("the peer keeps Patroni's timeouts and retries") {
  std::string cfg = RenderPatroniPeerConfig("/tmp/peer", 5000, {});
  for (const char* line : {"  mode tcp", "  retries 2", "  timeout connect 4s",
                           "  timeout client 30m", "  timeout server 30m", "  timeout check 5s"}) {
    CHECK_MESSAGE(Has(cfg, line), line);
  }
}

}  // namespace
}  // namespace shardgate::bench
