// State: agent services and checks, TTL expiry and critical-service reaping.
#include <algorithm>

#include "dev/consul/state.h"

namespace shardgate::consul::dev {
namespace {

constexpr size_t kCheckOutputMax = 4 * 1024;

std::string UnknownCheck(const std::string& id) {
  return "Unknown check ID \"" + id + "\". Ensure that the check ID is passed, not the check name.";
}

std::string UnknownService(const std::string& id) {
  return "Unknown service ID \"" + id +
         "\". Ensure that the service ID is passed, not the service name.";
}

std::string TruncateOutput(std::string output) {
  if (output.size() <= kCheckOutputMax) return output;
  return output.substr(0, kCheckOutputMax) + " ... (captured " + std::to_string(kCheckOutputMax) +
         " of " + std::to_string(output.size()) + " bytes)";
}

}  // namespace

void State::RegisterService(Service service, std::vector<Check> checks, bool replace_checks) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t idx = NextIndex();
  SteadyTime now = clock_.Now();
  std::vector<std::string> removed;
  if (!catalog_.UpsertService(std::move(service), std::move(checks), replace_checks, idx, now,
                              &removed)) {
    return;
  }
  InvalidateSessionsForChecksLocked(removed, idx, now);
  CommitLocked(idx, true);
}

Status State::DeregisterService(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t idx = NextIndex();
  std::vector<std::string> removed;
  if (!catalog_.RemoveService(id, idx, &removed)) return NotFound(UnknownService(id));
  InvalidateSessionsForChecksLocked(removed, idx, clock_.Now());
  CommitLocked(idx, true);
  return Status::Ok();
}

Status State::RegisterCheck(Check check) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!check.service_id.empty()) {
    const Service* s = catalog_.FindService(check.service_id);
    // AgentRegisterCheck (agent/agent_endpoint.go) has its own text, unlike deregistration.
    if (s == nullptr) return NotFound("ServiceID \"" + check.service_id + "\" does not exist");
    check.service_name = s->name;
  }
  uint64_t idx = NextIndex();
  if (catalog_.UpsertCheck(std::move(check), idx, clock_.Now())) CommitLocked(idx, false);
  return Status::Ok();
}

Status State::DeregisterCheck(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t idx = NextIndex();
  if (!catalog_.RemoveCheck(id, idx)) return NotFound(UnknownCheck(id));
  InvalidateSessionsForChecksLocked({id}, idx, clock_.Now());
  CommitLocked(idx, true);
  return Status::Ok();
}

Status State::UpdateTtlCheck(const std::string& id, const std::string& status, std::string output) {
  std::lock_guard<std::mutex> lock(mu_);
  const Check* c = catalog_.FindCheck(id);
  if (c == nullptr || id == kSerfHealth) return NotFound(UnknownCheck(id));
  if (c->type != "ttl") return Internal("CheckID \"" + id + "\" does not have associated TTL");
  uint64_t idx = NextIndex();
  SteadyTime now = clock_.Now();
  cv_.notify_all();  // the TTL timer moved even when nothing visible changed
  if (!catalog_.UpdateCheck(id, status, TruncateOutput(std::move(output)), idx, now)) {
    return Status::Ok();
  }
  if (status == kCritical) InvalidateSessionsForChecksLocked({id}, idx, now);
  CommitLocked(idx, true);
  return Status::Ok();
}

Status State::SetServiceMaintenance(const std::string& id, bool enable, const std::string& reason) {
  std::lock_guard<std::mutex> lock(mu_);
  const Service* s = catalog_.FindService(id);
  if (s == nullptr) return NotFound(UnknownService(id));
  const std::string check_id = "_service_maintenance:" + id;
  uint64_t idx = NextIndex();
  if (!enable) {
    if (catalog_.RemoveCheck(check_id, idx)) CommitLocked(idx, false);
    return Status::Ok();
  }
  if (catalog_.FindCheck(check_id) != nullptr) return Status::Ok();
  Check c;
  c.id = check_id;
  c.name = "Service Maintenance Mode";
  c.notes = reason.empty() ? "Maintenance mode is enabled for this service, but no reason was "
                             "provided. This is a default message."
                           : reason;
  c.status = kCritical;
  c.service_id = id;
  c.service_name = s->name;
  c.type = "maintenance";
  catalog_.UpsertCheck(std::move(c), idx, clock_.Now());
  CommitLocked(idx, false);
  return Status::Ok();
}

bool State::ExpireChecksLocked(SteadyTime now, SteadyTime* next) {
  std::vector<std::string> due;
  for (const auto& [id, c] : catalog_.checks()) {
    if (c.ttl <= Nanos(0) || c.ttl_expired) continue;
    if (c.ttl_deadline <= now) {
      due.push_back(id);
    } else {
      *next = std::min(*next, c.ttl_deadline);
    }
  }
  for (const std::string& id : due) {
    uint64_t idx = NextIndex();
    catalog_.ExpireTtlCheck(id, idx, now);
    InvalidateSessionsForChecksLocked({id}, idx, now);
    CommitLocked(idx, true);
  }
  return !due.empty();
}

bool State::ReapCriticalServicesLocked(SteadyTime now, SteadyTime* next) {
  std::vector<std::string> doomed;
  for (const auto& [id, c] : catalog_.checks()) {
    if (c.deregister_after <= Nanos(0) || c.status != kCritical || c.service_id.empty()) continue;
    SteadyTime at = c.critical_since +
                    std::max(c.deregister_after, options_.deregister_critical_min);
    if (at <= now) {
      doomed.push_back(c.service_id);
    } else {
      *next = std::min(*next, at);
    }
  }
  std::sort(doomed.begin(), doomed.end());
  doomed.erase(std::unique(doomed.begin(), doomed.end()), doomed.end());
  for (const std::string& service_id : doomed) {
    uint64_t idx = NextIndex();
    std::vector<std::string> removed;
    catalog_.RemoveService(service_id, idx, &removed);
    InvalidateSessionsForChecksLocked(removed, idx, now);
    CommitLocked(idx, true);
  }
  return !doomed.empty();
}

}  // namespace shardgate::consul::dev
