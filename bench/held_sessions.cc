// Held sessions and their failure counts (see held_sessions.h).
#include "bench/held_sessions.h"

#include <string>

#include "bench/write_loop.h"

namespace shardgate::bench {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kQueryTimeout{2000};

}  // namespace

Result<std::unique_ptr<HeldSessions>> HeldSessions::Start(
    const std::vector<HeldSessionTarget>& targets, milliseconds period) {
  std::unique_ptr<HeldSessions> held(new HeldSessions(period));
  for (const HeldSessionTarget& t : targets) {
    auto session = std::make_unique<agent::PqSession>(
        held->clock_,
        BenchConninfo(t.router_port, "-c shardgate.key=" + std::to_string(t.key), "held-session"),
        kQueryTimeout);
    RETURN_IF_ERROR(Annotate(session->Query("select 1", held->clock_.Now() + kQueryTimeout),
                             "held session via port " + std::to_string(t.router_port) + " key " +
                                 std::to_string(t.key)));
    held->sessions_.push_back(std::move(session));
  }
  held->failed_.assign(held->sessions_.size(), false);
  held->count_.sessions = static_cast<int>(held->sessions_.size());
  held->thread_ = std::jthread([h = held.get()](std::stop_token stop) { h->Loop(stop); });
  return held;
}

HeldSessions::~HeldSessions() { Stop(); }

void HeldSessions::Loop(std::stop_token stop) {
  if (sessions_.empty()) return;
  const auto step = period_ / static_cast<int>(sessions_.size());
  auto next = std::chrono::steady_clock::now();
  for (size_t i = 0; !stop.stop_requested(); i = (i + 1) % sessions_.size()) {
    next += step;
    std::this_thread::sleep_until(next);
    bool ok = sessions_[i]->Query("select 1", clock_.Now() + kQueryTimeout).ok();
    std::lock_guard lock(mu_);
    if (ok) {
      ++count_.queries;
      continue;
    }
    ++count_.failures;
    if (!failed_[i]) ++count_.dropped;
    failed_[i] = true;
  }
}

HeldSessionsCount HeldSessions::Count() {
  std::lock_guard lock(mu_);
  return count_;
}

void HeldSessions::Reset() {
  std::lock_guard lock(mu_);
  failed_.assign(failed_.size(), false);
  count_ = HeldSessionsCount{static_cast<int>(sessions_.size())};
}

void HeldSessions::Stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
  sessions_.clear();
}

}  // namespace shardgate::bench
