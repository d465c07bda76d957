// Patroni's documented HAProxy configuration, rendered for local nodes, and its start-up.
#include "bench/patroni_peer.h"

#include <sstream>

#include "tests/harness/ports.h"

namespace shardgate::bench {
namespace {

// Well inside `timeout check 5s`: a node that does not answer reads as 503, as with Patroni,
// rather than as a check timeout.
constexpr std::chrono::milliseconds kStandinQueryTimeout{500};

}  // namespace

std::string RenderPatroniPeerConfig(const std::filesystem::path& dir, int listen_port,
                                    const std::vector<PeerServer>& servers) {
  std::ostringstream c;
  c << "global\n"
    << "  maxconn 100\n"
    << "  stats socket " << (dir / "admin.sock").string() << " mode 600 level admin\n"
    << "defaults\n"
    << "  mode tcp\n"
    << "  retries 2\n"
    << "  timeout client 30m\n"
    << "  timeout connect 4s\n"
    << "  timeout server 30m\n"
    << "  timeout check 5s\n"
    << "listen patroni_primary\n"
    << "  bind 127.0.0.1:" << listen_port << "\n"
    << "  option httpchk GET /primary\n"
    << "  http-check expect status 200\n"
    << "  default-server inter 3s fall 3 rise 2 on-marked-down shutdown-sessions\n";
  for (const PeerServer& s : servers) {
    c << "  server " << s.name << " 127.0.0.1:" << s.pg_port << " maxconn 100 check port "
      << s.check_port << "\n";
  }
  return c.str();
}

Result<std::unique_ptr<PatroniPeer>> StartPatroniPeer(const std::filesystem::path& dir,
                                                      const std::vector<PeerNode>& nodes) {
  auto peer = std::make_unique<PatroniPeer>();
  std::vector<PeerServer> servers;
  for (const PeerNode& node : nodes) {
    ASSIGN_OR_RETURN(auto standin, PatroniStandin::Start(node.pg_port, kStandinQueryTimeout));
    servers.push_back({node.name, node.pg_port, standin->port()});
    peer->standins.push_back(std::move(standin));
  }
  ASSIGN_OR_RETURN(peer->rw_port, harness::FreePort());
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot create " + dir.string());
  harness::HaproxyOptions h;
  h.dir = dir;
  h.config_text = RenderPatroniPeerConfig(dir, peer->rw_port, servers);
  h.socket_path = (dir / "admin.sock").string();
  h.tcp_ports = {peer->rw_port};
  ASSIGN_OR_RETURN(peer->haproxy, Annotate(harness::HaproxyProcess::Start(h), "peer haproxy"));
  return peer;
}

}  // namespace shardgate::bench
