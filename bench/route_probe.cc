// Route probes through a router port with libpq (see route_probe.h).
#include "bench/route_probe.h"

#include <string>
#include <thread>

#include "agent/pq_session.h"
#include "bench/write_loop.h"
#include "common/clock.h"
#include "common/numbers.h"

namespace shardgate::bench {

using std::chrono::milliseconds;

Result<int> RoutedPort(int router_port, int64_t key, milliseconds timeout) {
  SystemClock clock;
  agent::PqSession session(
      clock, BenchConninfo(router_port, "-c shardgate.key=" + std::to_string(key), "route-probe"),
      timeout);
  ASSIGN_OR_RETURN(agent::QueryResult r,
                   session.Query("select current_setting('port')", clock.Now() + timeout));
  int port = 0;
  if (r.rows.size() != 1 || r.rows[0].empty() || !r.rows[0][0].has_value() ||
      !ParseInteger(*r.rows[0][0], &port)) {
    return ProtocolError("select current_setting('port') returned no port");
  }
  return port;
}

Status WaitRoutedTo(int router_port, int64_t key, int want_port, milliseconds period,
                    milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + timeout;
  std::string last = "no answer";
  while (true) {
    Result<int> port = RoutedPort(router_port, key, milliseconds(1000));
    if (port.ok() && *port == want_port) return Status::Ok();
    last = port.ok() ? "port " + std::to_string(*port) : port.status().ToString();
    if (Clock::now() >= deadline) {
      return Timeout("key " + std::to_string(key) + " via port " + std::to_string(router_port) +
                     " not routed to port " + std::to_string(want_port) + " within " +
                     std::to_string(timeout.count()) + " ms (last: " + last + ")");
    }
    std::this_thread::sleep_for(period);
  }
}

}  // namespace shardgate::bench
