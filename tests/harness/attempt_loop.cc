// AttemptLoop: a thread that repeats one attempt at a steady period and records each.
#include "tests/harness/attempt_loop.h"

namespace shardgate::harness {

AttemptLoop::AttemptLoop(AttemptFn attempt, std::chrono::milliseconds period, bool overlap)
    : attempt_(std::move(attempt)), period_(period), overlap_(overlap) {}

AttemptLoop::~AttemptLoop() { Stop(); }

void AttemptLoop::Start() {
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void AttemptLoop::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void AttemptLoop::Run() {
  std::vector<std::thread> workers;  // overlapping attempts, joined before Run returns
  auto next = std::chrono::steady_clock::now();
  while (!stop_) {
    std::this_thread::sleep_until(next);
    auto start = std::chrono::steady_clock::now();
    next = start + period_;
    if (overlap_) {
      workers.emplace_back([this, start] { RunOne(start); });
    } else {
      RunOne(start);
    }
  }
  for (std::thread& w : workers) w.join();
}

void AttemptLoop::RunOne(std::chrono::steady_clock::time_point start) {
  Attempt attempt;
  attempt.start = start;
  Result<std::string> r = attempt_();
  attempt.end = std::chrono::steady_clock::now();
  attempt.ok = r.ok();
  attempt.detail = r.ok() ? *r : r.status().ToString();
  std::lock_guard<std::mutex> lock(mu_);
  attempts_.push_back(std::move(attempt));
}

std::optional<Attempt> AttemptLoop::FirstSuccessFrom(std::chrono::steady_clock::time_point from,
                                                     const std::string& detail) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const Attempt& a : attempts_) {
    if (a.ok && a.start >= from && a.detail == detail) return a;
  }
  return std::nullopt;
}

std::optional<Attempt> AttemptLoop::Last() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (attempts_.empty()) return std::nullopt;
  return attempts_.back();
}

std::vector<Attempt> AttemptLoop::Attempts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return attempts_;
}

}  // namespace shardgate::harness
