// HAProxy server states: names, parsing from `show servers state` integers, predicates.
#include "haproxy/server_state.h"

#include <array>

namespace shardgate::haproxy {
namespace {

constexpr std::array<AdminFlag, 7> kAdminFlags = {AdminFlag::kFMaint, AdminFlag::kIMaint,
                                                  AdminFlag::kCMaint, AdminFlag::kFDrain,
                                                  AdminFlag::kIDrain, AdminFlag::kRMaint,
                                                  AdminFlag::kHMaint};

}  // namespace

std::string_view OpStateName(OpState state) {
  switch (state) {
    case OpState::kStopped: return "stopped";
    case OpState::kStarting: return "starting";
    case OpState::kRunning: return "running";
    case OpState::kStopping: return "stopping";
  }
  return "stopped";
}

Result<OpState> ParseOpState(int64_t value) {
  if (value < 0 || value > static_cast<int64_t>(OpState::kStopping)) {
    return ProtocolError("srv_op_state " + std::to_string(value) + " is not 0..3");
  }
  return static_cast<OpState>(value);
}

bool IsUp(OpState state) { return state == OpState::kStarting || state == OpState::kRunning; }

std::string_view AdminFlagName(AdminFlag flag) {
  switch (flag) {
    case AdminFlag::kFMaint: return "FMAINT";
    case AdminFlag::kIMaint: return "IMAINT";
    case AdminFlag::kCMaint: return "CMAINT";
    case AdminFlag::kFDrain: return "FDRAIN";
    case AdminFlag::kIDrain: return "IDRAIN";
    case AdminFlag::kRMaint: return "RMAINT";
    case AdminFlag::kHMaint: return "HMAINT";
  }
  return "?";
}

Result<AdminState> AdminState::FromBits(int64_t bits) {
  int64_t known = 0;
  for (AdminFlag flag : kAdminFlags) known |= static_cast<int64_t>(flag);
  if (bits < 0 || (bits & ~known) != 0) {
    return ProtocolError("srv_admin_state " + std::to_string(bits) +
                         " has bits HAProxy does not define (known: 0x7f)");
  }
  return AdminState(static_cast<uint8_t>(bits));
}

bool AdminState::InMaintenance() const {
  return Has(AdminFlag::kFMaint) || Has(AdminFlag::kIMaint) || Has(AdminFlag::kRMaint);
}

bool AdminState::Draining() const {
  return !InMaintenance() && (Has(AdminFlag::kFDrain) || Has(AdminFlag::kIDrain));
}

std::string_view AdminState::Summary() const {
  if (InMaintenance()) return "MAINT";
  return Draining() ? "DRAIN" : "READY";
}

std::string AdminState::FlagNames() const {
  std::string out;
  for (AdminFlag flag : kAdminFlags) {
    if (!Has(flag)) continue;
    if (!out.empty()) out += '|';
    out += AdminFlagName(flag);
  }
  return out.empty() ? "none" : out;
}

}  // namespace shardgate::haproxy
