// The failover bench's peer: HAProxy configured as Patroni documents it (HTTP checks of
// Patroni's /primary endpoint), with a Patroni stand-in per PostgreSQL node.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bench/patroni_standin.h"
#include "common/status.h"
#include "tests/harness/haproxy_process.h"

namespace shardgate::bench {

struct PeerServer {
  std::string name;  // HAProxy server name, e.g. "n1"
  int pg_port = 0;
  int check_port = 0;  // the node's Patroni (stand-in) REST port
};

// Patroni's haproxy.cfg for the read-write port, verbatim where it can be: `retries 2`,
// `timeout connect 4s`, `timeout client/server 30m`, `timeout check 5s`, `option httpchk`
// against /primary, `http-check expect status 200`, `default-server inter 3s fall 3 rise 2
// on-marked-down shutdown-sessions`, `maxconn 100 check port <REST port>` per server. Adds
// only what the harness needs: a stats socket in `dir` and 127.0.0.1 instead of *.
// Thread-safety: a pure function.
std::string RenderPatroniPeerConfig(const std::filesystem::path& dir, int listen_port,
                                    const std::vector<PeerServer>& servers);

// The running peer: one stand-in per node, then HAProxy. Destroyed in reverse order.
struct PatroniPeer {
  std::vector<std::unique_ptr<PatroniStandin>> standins;
  std::unique_ptr<harness::HaproxyProcess> haproxy;
  int rw_port = 0;
};

struct PeerNode {
  std::string name;
  int pg_port = 0;
};

// Starts a stand-in per node and HAProxy (config and log in `dir`) on a free port.
Result<std::unique_ptr<PatroniPeer>> StartPatroniPeer(const std::filesystem::path& dir,
                                                      const std::vector<PeerNode>& nodes);

}  // namespace shardgate::bench
