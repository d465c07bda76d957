// Malformed startups: each gets 08P01 from the router, HAProxy keeps serving, and nothing of
// them reaches a PostgreSQL backend.
#include <doctest/doctest.h>

#include "tests/harness/pgwire_client.h"
#include "tests/integration/router_fixture.h"

namespace shardgate::integration {
namespace {

using harness::StartupMessage;
using harness::WithLength;

struct MalformedCase {
  std::string name;
  std::string bytes;
  bool half_close = false;  // the client stops sending (shutdown(SHUT_WR)) after the bytes
};

std::string KeyedStartup() {
  return StartupMessage(harness::KeyedParams("postgres", "postgres", 42));
}

std::string WithProtocol(int32_t protocol) {
  return StartupMessage(harness::KeyedParams("postgres", "postgres", 42), protocol);
}

std::vector<MalformedCase> MalformedCases() {
  std::string startup = KeyedStartup();
  std::string no_terminator = startup.substr(0, startup.size() - 1);
  std::string odd_params("\0\0\0\0\0\3\0\0user\0postgres\0options\0\0", 31);
  std::string odd_cancel;
  harness::AppendInt32(odd_cancel, 12);
  harness::AppendInt32(odd_cancel, harness::kCancelRequestCode);
  harness::AppendInt32(odd_cancel, 1234);
  return {
      {"a length field of 1,000,000", WithLength(startup, 1000000)},
      {"a complete startup of 11,000 bytes",
       StartupMessage({{"user", "postgres"},
                       {"options", "-c shardgate.key=42"},
                       {"application_name", std::string(11000, 'a')}})},
      {"a length field of 4", WithLength(startup, 4)},
      {"a length field of 7", WithLength(startup, 7)},
      {"a length above the bytes sent, then the client closes",
       WithLength(startup, static_cast<int32_t>(startup.size() + 20)), true},
      {"a length that ends the packet before its terminator",
       WithLength(startup, static_cast<int32_t>(startup.size() - 3))},
      {"a startup without its terminating NUL",
       WithLength(no_terminator, static_cast<int32_t>(no_terminator.size()))},
      {"protocol 2.0", WithProtocol(2 << 16)},
      {"protocol 4.0", WithProtocol(4 << 16)},
      {"a parameter name without a value",
       WithLength(odd_params, static_cast<int32_t>(odd_params.size()))},
      {"a CancelRequest of 12 bytes", odd_cancel},
  };
}

// Sends the case and returns the SQLSTATE of the ErrorResponse the router answered, or what
// happened instead; also requires the router to close the connection afterwards.
std::string SqlstateFor(int port, const MalformedCase& c) {
  auto connection = harness::PgWireConnection::Connect("127.0.0.1", port, std::chrono::seconds(2));
  if (!connection.ok()) return "connect: " + connection.status().ToString();
  Status sent = connection->Send(c.bytes, {}, std::chrono::seconds(2));
  if (!sent.ok()) return "send: " + sent.ToString();
  if (c.half_close) connection->ShutdownWrite();
  auto message = connection->ReadMessage(std::chrono::seconds(7));
  if (!message.ok()) return "read: " + message.status().ToString();
  if (message->type != 'E') return std::string("message type ") + message->type;
  auto fields = harness::ParseErrorFields(message->body);
  if (!fields.ok()) return "error fields: " + fields.status().ToString();
  auto rest = connection->ReadUntilClosed(std::chrono::seconds(2));
  if (!rest.ok()) return "not closed after the error: " + rest.status().ToString();
  return fields->sqlstate;
}

TEST_CASE("every malformed startup gets 08P01 and a valid psql connection right after works") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  pid_t pid = stack->haproxy()->pid();
  for (const MalformedCase& c : MalformedCases()) {
    CAPTURE(c.name);
    CHECK(SqlstateFor(stack->rw_port(), c) == "08P01");
    CHECK(ClusterNameVia(stack->rw_port(), 42) == "shard_1/n1");
  }
  CHECK(stack->haproxy()->pid() == pid);
  CHECK(stack->haproxy()->IsRunning());
}

TEST_CASE("nothing unrouted reaches a PostgreSQL backend") {
  harness::Stack* stack = RouterStack();
  if (stack == nullptr) return;
  auto before = ShardBackendSessions(*stack->haproxy());
  REQUIRE_MESSAGE(before.ok(), before.status().ToString());
  for (const MalformedCase& c : MalformedCases()) (void)SqlstateFor(stack->rw_port(), c);
  (void)StartupErrorVia(stack->rw_port(), {{"user", "postgres"}});
  (void)StartupErrorVia(stack->ro_port(), harness::KeyedParams("postgres", "postgres", 20000));
  auto after = ShardBackendSessions(*stack->haproxy());
  REQUIRE(after.ok());
  CHECK(*after == *before);
  // The counter does move for a routed connection, so the comparison above can fail.
  CHECK(ClusterNameVia(stack->rw_port(), 42) == "shard_1/n1");
  auto routed = ShardBackendSessions(*stack->haproxy());
  REQUIRE(routed.ok());
  CHECK(*routed == *before + 1);
}

}  // namespace
}  // namespace shardgate::integration
