// HAProxy 2.6 server states as types: srv_op_state (operational) and srv_admin_state
// (administrative flags) of `show servers state`, with the predicates the tooling asks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace shardgate::haproxy {

// srv_op_state: HAProxy's enum srv_state (SRV_ST_*), values as printed.
enum class OpState {
  kStopped = 0,   // down: failed its checks, or in maintenance
  kStarting = 1,  // up, ramping its weight during slowstart
  kRunning = 2,   // up
  kStopping = 3,  // up but soft-stopping: takes no new connections (HAProxy's NOLB)
};

// "stopped", "starting", "running", "stopping": for logs.
std::string_view OpStateName(OpState state);
// Errors: kProtocol naming the value when it is not 0..3.
Result<OpState> ParseOpState(int64_t value);
// Starting or running: the operational states that take new connections.
bool IsUp(OpState state);

// One bit of srv_admin_state: HAProxy's enum srv_admin (SRV_ADMF_*).
enum class AdminFlag : uint8_t {
  kFMaint = 0x01,  // forced into maintenance (set server state maint, disable server)
  kIMaint = 0x02,  // maintenance inherited from a tracked server
  kCMaint = 0x04,  // the configuration said "disabled" (set together with kFMaint)
  kFDrain = 0x08,  // forced into drain (set server state drain)
  kIDrain = 0x10,  // drain inherited from a tracked server
  kRMaint = 0x20,  // maintenance because the address could not be resolved
  kHMaint = 0x40,  // the FQDN was set through the runtime API (a marker, not a maintenance)
};

// "FMAINT", "IMAINT", "CMAINT", "FDRAIN", "IDRAIN", "RMAINT", "HMAINT": HAProxy's names.
std::string_view AdminFlagName(AdminFlag flag);

// srv_admin_state as a set of AdminFlag bits. A plain value: copyable, comparable.
class AdminState {
 public:
  constexpr AdminState() = default;
  // Errors: kProtocol naming the value when it is negative or has a bit HAProxy 2.6 does not
  // define (above 0x40).
  static Result<AdminState> FromBits(int64_t bits);

  constexpr bool Has(AdminFlag flag) const { return (bits_ & static_cast<uint8_t>(flag)) != 0; }
  constexpr AdminState With(AdminFlag flag) const {
    return AdminState(static_cast<uint8_t>(bits_ | static_cast<uint8_t>(flag)));
  }
  constexpr uint8_t bits() const { return bits_; }

  // HAProxy's SRV_ADMF_MAINT mask: forced, inherited or resolver maintenance. kCMaint alone
  // does not count: HAProxy keeps it after `set server state ready` as a record of where the
  // maintenance came from.
  bool InMaintenance() const;
  // Forced or inherited drain, and not in maintenance (maintenance wins).
  bool Draining() const;
  // "MAINT", "DRAIN" or "READY": HAProxy's own summary of the flags.
  std::string_view Summary() const;
  // The flags set, "|"-separated in bit order ("FMAINT|CMAINT"), or "none": for logs.
  std::string FlagNames() const;

  bool operator==(const AdminState&) const = default;

 private:
  constexpr explicit AdminState(uint8_t bits) : bits_(bits) {}
  uint8_t bits_ = 0;
};

}  // namespace shardgate::haproxy
