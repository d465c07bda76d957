// SteeredTransport: an HttpTransport in front of another (usually InProcessConsul) that lets a
// test act at a chosen moment, and lets blocking queries time out without real waiting.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <utility>

#include "common/duration.h"
#include "consul/http_transport.h"
#include "tests/fakes/fake_clock.h"

namespace shardgate::testing {

// Thread-safety: Do() may be called concurrently; the hook runs on the calling thread, once.
class SteeredTransport final : public consul::HttpTransport {
 public:
  // `inner` and `clock` must outlive this.
  SteeredTransport(consul::HttpTransport& inner, FakeClock& clock) : inner_(inner), clock_(clock) {}

  // Runs `hook` once, just before the next /v1/txn is passed on (e.g. to make another writer
  // change the head between a Load and its Commit).
  void BeforeNextTxn(std::function<void()> hook) {
    std::lock_guard lock(mu_);
    before_txn_ = std::move(hook);
  }

  // A blocking query (`index=` and `wait=` in the query) is passed on without both, so it
  // answers at once, and the fake clock moves by its wait: a wait that timed out, on paper.
  Result<consul::HttpResponse> Do(const consul::HttpRequest& request) override {
    std::function<void()> hook;
    if (request.path == "/v1/txn") {
      std::lock_guard lock(mu_);
      hook = std::exchange(before_txn_, nullptr);
    }
    if (hook) hook();
    consul::HttpRequest forwarded = request;
    std::chrono::nanoseconds waited{0};
    forwarded.path = WithoutBlocking(request.path, waited);
    if (waited > std::chrono::nanoseconds(0)) clock_.Advance(waited);
    return inner_.Do(forwarded);
  }

 private:
  // `path` without its index and wait parameters; `waited` gets the wait when there was one.
  static std::string WithoutBlocking(const std::string& path, std::chrono::nanoseconds& waited) {
    const size_t q = path.find('?');
    if (q == std::string::npos || path.find("index=", q) == std::string::npos) return path;
    std::string out = path.substr(0, q), sep = "?";
    size_t start = q + 1;
    while (start <= path.size()) {
      size_t end = path.find('&', start);
      if (end == std::string::npos) end = path.size();
      const std::string param = path.substr(start, end - start);
      if (param.starts_with("wait=")) {
        Result<std::chrono::nanoseconds> wait = ParseGoDuration(param.substr(5));
        if (wait.ok()) waited = *wait;
      } else if (!param.starts_with("index=") && !param.empty()) {
        out += sep + param;
        sep = "&";
      }
      start = end + 1;
    }
    return out;
  }

  consul::HttpTransport& inner_;
  FakeClock& clock_;
  std::mutex mu_;
  std::function<void()> before_txn_;
};

}  // namespace shardgate::testing
