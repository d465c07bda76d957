// State: sessions: create/renew/destroy, TTL expiry and invalidation.
#include <algorithm>

#include "common/duration.h"
#include "dev/consul/state.h"

namespace shardgate::consul::dev {
namespace {

constexpr Nanos kDefaultLockDelay = std::chrono::seconds(15);
constexpr Nanos kMaxLockDelay = std::chrono::seconds(60);
constexpr Nanos kSessionTtlMin = std::chrono::seconds(10);
constexpr Nanos kSessionTtlMax = std::chrono::hours(24);
constexpr int kSessionTtlMultiplier = 2;

// Fills behavior and TTL from the request; Consul's 500 texts on failure.
Status ParseBehaviorAndTtl(const SessionRequest& r, Session* s) {
  if (r.behavior.empty() || r.behavior == "release") {
    s->behavior = Behavior::kRelease;
  } else if (r.behavior == "delete") {
    s->behavior = Behavior::kDelete;
  } else {
    return Internal("Invalid Behavior setting '" + r.behavior + "'");
  }
  s->ttl_text = r.ttl;
  if (r.ttl.empty()) return Status::Ok();
  Result<Nanos> ttl = ParseGoDuration(r.ttl);
  if (!ttl.ok()) return Internal("Session TTL '" + r.ttl + "' invalid: " + ttl.status().message());
  if (*ttl != Nanos(0) && (*ttl < kSessionTtlMin || *ttl > kSessionTtlMax)) {
    return Internal("Invalid Session TTL '" + std::to_string(ttl->count()) +
                    "', must be between [" + FormatGoDuration(kSessionTtlMin) + "=" +
                    FormatGoDuration(kSessionTtlMax) + "]");
  }
  s->ttl = *ttl;
  return Status::Ok();
}

bool Contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

}  // namespace

Status State::ValidateSessionChecksLocked(const Session& s) const {
  auto validate = [&](const std::string& id, bool node_check) -> Status {
    const Check* c = catalog_.FindCheck(id);
    if (c == nullptr || c->service_id.empty() != node_check) {
      return Internal("Missing check '" + id + "' registration");
    }
    if (c->status == kCritical) return Internal("Check '" + id + "' is in critical state");
    return Status::Ok();
  };
  for (const std::string& id : s.node_checks) {
    RETURN_IF_ERROR(validate(id, true));
  }
  for (const std::string& id : s.service_checks) {
    RETURN_IF_ERROR(validate(id, false));
  }
  return Status::Ok();
}

Result<std::string> State::CreateSession(const SessionRequest& request) {
  std::lock_guard<std::mutex> lock(mu_);
  Session s;
  RETURN_IF_ERROR(ParseBehaviorAndTtl(request, &s));
  s.name = request.name;
  s.node = request.node.empty() ? catalog_.node_name() : request.node;
  s.lock_delay = std::min(request.lock_delay.value_or(kDefaultLockDelay), kMaxLockDelay);
  if (s.lock_delay < Nanos(0)) s.lock_delay = Nanos(0);
  s.node_checks = request.node_checks.value_or(std::vector<std::string>{kSerfHealth});
  s.service_checks = request.service_checks;
  if (s.node != catalog_.node_name()) return Internal("Missing node registration");
  RETURN_IF_ERROR(ValidateSessionChecksLocked(s));
  s.id = NewUuidLocked();
  uint64_t idx = NextIndex();
  s.create_index = s.modify_index = idx;
  if (s.ttl > Nanos(0)) s.expires_at = clock_.Now() + kSessionTtlMultiplier * s.ttl;
  sessions_[s.id] = s;
  sessions_index_ = idx;
  CommitLocked(idx, false);
  return s.id;
}

Result<Session> State::RenewSession(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return NotFound("Session id '" + id + "' not found");
  Session& s = it->second;
  if (s.ttl > Nanos(0)) {
    s.expires_at = clock_.Now() + kSessionTtlMultiplier * s.ttl;
    cv_.notify_all();  // the timer thread re-computes its next deadline
  }
  return s;
}

void State::DestroySession(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!sessions_.contains(id)) return;
  uint64_t idx = NextIndex();
  InvalidateSessionLocked(id, idx, clock_.Now());
  CommitLocked(idx, true);
}

void State::InvalidateSessionLocked(const std::string& id, uint64_t idx, SteadyTime now) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  Session s = it->second;
  sessions_.erase(it);
  sessions_index_ = idx;
  kv_.InvalidateSession(id, s.behavior == Behavior::kDelete, s.lock_delay, idx, now);
}

void State::InvalidateSessionsForChecksLocked(const std::vector<std::string>& check_ids,
                                              uint64_t idx, SteadyTime now) {
  std::vector<std::string> doomed;
  for (const auto& [id, s] : sessions_) {
    for (const std::string& cid : check_ids) {
      if (Contains(s.node_checks, cid) || Contains(s.service_checks, cid)) {
        doomed.push_back(id);
        break;
      }
    }
  }
  for (const std::string& id : doomed) InvalidateSessionLocked(id, idx, now);
}

bool State::ExpireSessionsLocked(SteadyTime now, SteadyTime* next) {
  std::vector<std::string> expired;
  for (const auto& [id, s] : sessions_) {
    if (s.ttl <= Nanos(0)) continue;
    if (s.expires_at <= now) {
      expired.push_back(id);
    } else {
      *next = std::min(*next, s.expires_at);
    }
  }
  for (const std::string& id : expired) {
    uint64_t idx = NextIndex();
    InvalidateSessionLocked(id, idx, now);
    CommitLocked(idx, true);
  }
  return !expired.empty();
}

}  // namespace shardgate::consul::dev
