// HAProxy agent-check reply lines.
#include "agent/agent_check_server.h"

#include <doctest/doctest.h>

namespace shardgate::agent {
namespace {

NodeState State(Health h, int weight, const char* reason) {
  NodeState s;
  s.status = h;
  s.weight = weight;
  s.reason = reason;
  return s;
}

TEST_CASE("a passing node answers ready up with its weight as a percentage") {
  CHECK(AgentCheckReply(State(Health::kPassing, 256, "ok")) == "ready up 100% #ok\n");
  CHECK(AgentCheckReply(State(Health::kWarning, 64, "lagging")) == "ready up 25% #lagging\n");
  CHECK(AgentCheckReply(State(Health::kPassing, 1, "ok")) == "ready up 1% #ok\n");
}

TEST_CASE("a draining node answers drain and a critical node answers down, each with the reason") {
  CHECK(AgentCheckReply(State(Health::kWarning, 0, "draining")) == "drain #draining\n");
  CHECK(AgentCheckReply(State(Health::kCritical, 0, "hung")) == "down #hung\n");
}

}  // namespace
}  // namespace shardgate::agent
