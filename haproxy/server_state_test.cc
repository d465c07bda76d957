// HAProxy server states: parsing from `show servers state` integers, predicates and names.
#include "haproxy/server_state.h"

#include <doctest/doctest.h>

namespace shardgate::haproxy {
namespace {

AdminState Flags(int64_t bits) {
  Result<AdminState> state = AdminState::FromBits(bits);
  REQUIRE_MESSAGE(state.ok(), state.status().ToString());
  return *state;
}

TEST_CASE("operational states parse from 0..3 and nothing else") {
  CHECK(ParseOpState(0).value() == OpState::kStopped);
  CHECK(ParseOpState(1).value() == OpState::kStarting);
  CHECK(ParseOpState(2).value() == OpState::kRunning);
  CHECK(ParseOpState(3).value() == OpState::kStopping);
  CHECK(ParseOpState(4).status().message() == "srv_op_state 4 is not 0..3");
  CHECK(ParseOpState(-1).status().code() == Code::kProtocol);
}

TEST_CASE("starting and running servers are up; stopped and stopping ones are not") {
  CHECK_FALSE(IsUp(OpState::kStopped));
  CHECK(IsUp(OpState::kStarting));
  CHECK(IsUp(OpState::kRunning));
  CHECK_FALSE(IsUp(OpState::kStopping));
  CHECK(OpStateName(OpState::kStopping) == "stopping");
  CHECK(OpStateName(OpState::kRunning) == "running");
}

TEST_CASE("admin flags parse from HAProxy's bits and keep them") {
  CHECK(Flags(0) == AdminState());
  CHECK(Flags(0x01) == AdminState().With(AdminFlag::kFMaint));
  CHECK(Flags(0x7f).bits() == 0x7f);
  CHECK(Flags(0x05).Has(AdminFlag::kCMaint));
  CHECK_FALSE(Flags(0x05).Has(AdminFlag::kFDrain));
}

TEST_CASE("admin bits HAProxy does not define, and negative values, are refused") {
  CHECK(AdminState::FromBits(0x80).status().message() ==
        "srv_admin_state 128 has bits HAProxy does not define (known: 0x7f)");
  CHECK(AdminState::FromBits(0x100).status().code() == Code::kProtocol);
  CHECK(AdminState::FromBits(-1).status().code() == Code::kProtocol);
}

TEST_CASE("maintenance is forced, inherited or resolver maintenance, as in HAProxy") {
  CHECK_FALSE(Flags(0).InMaintenance());
  CHECK(Flags(0x01).InMaintenance());  // FMAINT: set server state maint
  CHECK(Flags(0x02).InMaintenance());  // IMAINT
  CHECK(Flags(0x20).InMaintenance());  // RMAINT
  CHECK(Flags(0x05).InMaintenance());  // "disabled" in the configuration: CMAINT with FMAINT
  // CMAINT alone remains after `set server state ready` on a server configured "disabled".
  CHECK_FALSE(Flags(0x04).InMaintenance());
  CHECK_FALSE(Flags(0x40).InMaintenance());  // HMAINT only marks an FQDN set at run time
}

TEST_CASE("the summary follows HAProxy's table: maintenance wins over drain") {
  CHECK(Flags(0x00).Summary() == "READY");
  CHECK(Flags(0x10).Summary() == "DRAIN");  // IDRAIN
  CHECK(Flags(0x08).Summary() == "DRAIN");  // FDRAIN
  CHECK(Flags(0x18).Draining());
  CHECK(Flags(0x0a).Summary() == "MAINT");  // IMAINT and FDRAIN
  CHECK_FALSE(Flags(0x0a).Draining());
  CHECK(Flags(0x09).Summary() == "MAINT");  // FMAINT and FDRAIN
  CHECK(Flags(0x04).Summary() == "READY");
}

TEST_CASE("flag names list the bits in order for logs") {
  CHECK(Flags(0).FlagNames() == "none");
  CHECK(Flags(0x05).FlagNames() == "FMAINT|CMAINT");
  CHECK(Flags(0x7f).FlagNames() == "FMAINT|IMAINT|CMAINT|FDRAIN|IDRAIN|RMAINT|HMAINT");
  CHECK(AdminFlagName(AdminFlag::kRMaint) == "RMAINT");
}

}  // namespace
}  // namespace shardgate::haproxy
