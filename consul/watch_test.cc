// Tests for the blocking-query rules (WatchPolicy) and the Watcher loop, on a fake clock.
#include "consul/watch.h"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_sleeper.h"

namespace shardgate::consul {
namespace {

using std::chrono::milliseconds;
using testing::FakeClock;
using testing::FakeSleeper;

WatchOptions Options() {
  WatchOptions options;
  options.wait = std::chrono::seconds(30);
  options.seed = 42;
  return options;
}

QueryMeta Meta(uint64_t index) { return QueryMeta{index, true, milliseconds(0)}; }

// A scripted fetch: answers in order and records the options it was called with.
struct ScriptedFetch {
  std::vector<Result<Queried<std::string>>> answers;
  std::vector<QueryOptions> calls;
  Watcher<std::string>::Fetch Function() {
    return [this](const QueryOptions& q) -> Result<Queried<std::string>> {
      calls.push_back(q);
      Result<Queried<std::string>> answer = answers.at(calls.size() - 1);
      return answer;
    };
  }
};

}  // namespace

TEST_CASE("the index follows answers, counts 0 as 1 and resets to 0 when it goes backwards") {
  FakeClock clock;
  WatchPolicy policy(clock, Options());
  CHECK(policy.NextQuery().index == 0);
  CHECK_FALSE(policy.OnSuccess(Meta(0)));
  CHECK(policy.index() == 1);
  CHECK_FALSE(policy.OnSuccess(Meta(57)));
  CHECK(policy.NextQuery().index == 57);
  CHECK_FALSE(policy.OnSuccess(Meta(57)));  // a timeout answer: same index
  CHECK(policy.index() == 57);
  CHECK(policy.OnSuccess(Meta(12)));  // snapshot restore
  CHECK(policy.NextQuery().index == 0);
  CHECK_FALSE(policy.OnSuccess(Meta(12)));
  CHECK(policy.index() == 12);
}

TEST_CASE("queries carry the configured wait and consistency") {
  FakeClock clock;
  WatchOptions options = Options();
  options.stale = true;
  WatchPolicy policy(clock, options);
  QueryOptions q = policy.NextQuery();
  CHECK(q.wait == std::chrono::seconds(30));
  CHECK(q.stale);
}

TEST_CASE("the backoff ceiling doubles from 250 ms and stops at 30 s") {
  FakeClock clock;
  WatchPolicy policy(clock, Options());
  CHECK(policy.BackoffCeiling(0) == milliseconds(0));
  CHECK(policy.BackoffCeiling(1) == milliseconds(250));
  CHECK(policy.BackoffCeiling(2) == milliseconds(500));
  CHECK(policy.BackoffCeiling(3) == milliseconds(1000));
  CHECK(policy.BackoffCeiling(7) == milliseconds(16000));
  CHECK(policy.BackoffCeiling(8) == milliseconds(30000));
  CHECK(policy.BackoffCeiling(1000) == milliseconds(30000));
}

TEST_CASE("backoff delays are full jitter: within [0, ceiling] and spread out") {
  FakeClock clock;
  WatchOptions options = Options();
  options.rate_burst = 1e9;  // take the rate limit out of the picture
  WatchPolicy policy(clock, options);
  for (int errors = 1; errors <= 12; ++errors) {
    policy.OnError();
    milliseconds ceiling = policy.BackoffCeiling(errors);
    milliseconds low = ceiling, high(0);
    for (int i = 0; i < 200; ++i) {
      milliseconds delay = policy.NextDelay();
      CHECK(delay >= milliseconds(0));
      CHECK(delay <= ceiling);
      low = std::min(low, delay);
      high = std::max(high, delay);
    }
    CHECK(low < ceiling / 4);
    CHECK(high > ceiling * 3 / 4);
  }
}

TEST_CASE("a success ends the backoff") {
  FakeClock clock;
  WatchOptions options = Options();
  options.rate_burst = 1e9;
  WatchPolicy policy(clock, options);
  for (int i = 0; i < 5; ++i) policy.OnError();
  CHECK(policy.consecutive_errors() == 5);
  policy.OnSuccess(Meta(3));
  CHECK(policy.consecutive_errors() == 0);
  CHECK(policy.NextDelay() == milliseconds(0));
}

TEST_CASE("a server that answers at once gets a burst of 2, then one request per second") {
  FakeClock clock;
  WatchPolicy policy(clock, Options());
  CHECK(policy.NextDelay() == milliseconds(0));
  CHECK(policy.NextDelay() == milliseconds(0));
  int requests = 2;
  milliseconds elapsed(0);
  while (elapsed < std::chrono::seconds(60)) {
    milliseconds delay = policy.NextDelay();
    CHECK(delay == milliseconds(1000));
    clock.Advance(delay);
    elapsed += delay;
    ++requests;
  }
  CHECK(requests == 62);
}

TEST_CASE("the bucket refills while a query blocks, so a slow watch is never delayed") {
  FakeClock clock;
  WatchPolicy policy(clock, Options());
  for (int i = 0; i < 10; ++i) {
    CHECK(policy.NextDelay() == milliseconds(0));
    clock.Advance(std::chrono::seconds(30));  // the blocking query held for its wait
  }
}

TEST_CASE("the watcher calls back on the first result and on changes, not on empty wake-ups") {
  FakeClock clock;
  FakeSleeper sleeper(clock);
  ScriptedFetch fetch;
  fetch.answers = {Queried<std::string>{"a", Meta(5)}, Queried<std::string>{"a", Meta(5)},
                   Queried<std::string>{"a", Meta(9)}, Queried<std::string>{"b", Meta(10)}};
  std::vector<std::string> seen;
  WatchCallbacks<std::string> callbacks;
  callbacks.on_change = [&](const std::string& v, const QueryMeta&) { seen.push_back(v); };
  Watcher<std::string> watcher(clock, sleeper, Options(), fetch.Function(), callbacks);
  std::stop_source never;
  for (int i = 0; i < 4; ++i) CHECK(watcher.Step(never.get_token()));
  CHECK(seen == std::vector<std::string>{"a", "b"});
  REQUIRE(fetch.calls.size() == 4);
  CHECK(fetch.calls[0].index == 0);
  CHECK(fetch.calls[1].index == 5);
  CHECK(fetch.calls[2].index == 5);
  CHECK(fetch.calls[3].index == 9);
  CHECK(fetch.calls[3].wait == std::chrono::seconds(30));
  CHECK(fetch.calls[3].cancel.stop_possible());
}

TEST_CASE("after the index goes backwards the watcher re-reads from 0 and reports real changes") {
  FakeClock clock;
  FakeSleeper sleeper(clock);
  ScriptedFetch fetch;
  fetch.answers = {Queried<std::string>{"new", Meta(50)}, Queried<std::string>{"old", Meta(20)},
                   Queried<std::string>{"old", Meta(20)}};
  std::vector<std::string> seen;
  WatchCallbacks<std::string> callbacks;
  callbacks.on_change = [&](const std::string& v, const QueryMeta&) { seen.push_back(v); };
  Watcher<std::string> watcher(clock, sleeper, Options(), fetch.Function(), callbacks);
  std::stop_source never;
  for (int i = 0; i < 3; ++i) CHECK(watcher.Step(never.get_token()));
  CHECK(fetch.calls[1].index == 50);
  CHECK(fetch.calls[2].index == 0);
  CHECK(seen == std::vector<std::string>{"new", "old"});
  CHECK(watcher.policy().index() == 20);
}

TEST_CASE("errors back off, are reported with the streak, and keep the last value") {
  FakeClock clock;
  FakeSleeper sleeper(clock);
  ScriptedFetch fetch;
  fetch.answers = {Queried<std::string>{"a", Meta(5)}, Unavailable("down"), Unavailable("down"),
                   Unavailable("down"), Queried<std::string>{"a", Meta(6)}};
  std::vector<int> streaks;
  int changes = 0, successes = 0;
  WatchCallbacks<std::string> callbacks;
  callbacks.on_change = [&](const std::string&, const QueryMeta&) { ++changes; };
  callbacks.on_error = [&](const Status& s, int streak) {
    CHECK(s.code() == Code::kUnavailable);
    streaks.push_back(streak);
  };
  callbacks.on_success = [&](const QueryMeta&) { ++successes; };
  WatchOptions options = Options();
  options.rate_burst = 1e9;
  Watcher<std::string> watcher(clock, sleeper, options, fetch.Function(), callbacks);
  std::stop_source never;
  for (int i = 0; i < 5; ++i) CHECK(watcher.Step(never.get_token()));
  CHECK(streaks == std::vector<int>{1, 2, 3});
  CHECK(changes == 1);
  CHECK(successes == 2);
  CHECK(fetch.calls[4].index == 5);  // resumes from the index it had
  std::vector<milliseconds> sleeps = sleeper.sleeps();
  REQUIRE(sleeps.size() == 5);
  CHECK(sleeps[2] <= milliseconds(250));
  CHECK(sleeps[3] <= milliseconds(500));
  CHECK(sleeps[4] <= milliseconds(1000));
}

TEST_CASE("a stopped watcher makes no further request") {
  FakeClock clock;
  FakeSleeper sleeper(clock);
  ScriptedFetch fetch;
  Watcher<std::string> watcher(clock, sleeper, Options(), fetch.Function(), {});
  std::stop_source source;
  source.request_stop();
  CHECK_FALSE(watcher.Step(source.get_token()));
  CHECK(fetch.calls.empty());
}

TEST_CASE("Stop interrupts a query that is blocked in the transport") {
  FakeClock clock;
  RealSleeper sleeper;
  std::mutex mu;
  std::condition_variable_any cv;
  bool entered = false;
  auto fetch = [&](const QueryOptions& q) -> Result<Queried<std::string>> {
    std::unique_lock lock(mu);
    entered = true;
    cv.notify_all();
    std::stop_token cancel = q.cancel;
    cv.wait(lock, cancel, [] { return false; });  // blocks until Stop() cancels
    return Unavailable("request cancelled");
  };
  Watcher<std::string> watcher(clock, sleeper, Options(), fetch, {});
  watcher.Start();
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return entered; });
  }
  watcher.RequestStop();  // returns at once; the in-flight query is cancelled
  watcher.Stop();         // must return: the test would hang otherwise
  CHECK(entered);
}

}  // namespace shardgate::consul
