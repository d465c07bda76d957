// FakeProbe: a NodeProbe that answers from a script and records the deadlines it was given.
#pragma once

#include <deque>
#include <vector>

#include "agent/probe.h"

namespace shardgate::testing {

// Not thread-safe (NodeProbe's contract: one caller at a time).
class FakeProbe final : public agent::NodeProbe {
 public:
  // The next Probe() returns this; once the script is empty, the last answer repeats.
  void Push(Result<agent::ProbeSample> answer) { script_.push_back(std::move(answer)); }

  Result<agent::ProbeSample> Probe(SteadyTime deadline) override {
    deadlines_.push_back(deadline);
    if (script_.size() > 1) {
      Result<agent::ProbeSample> next = std::move(script_.front());
      script_.pop_front();
      return next;
    }
    if (script_.empty()) return Unavailable("fake: nothing scripted");
    return script_.front();
  }

  const std::vector<SteadyTime>& deadlines() const { return deadlines_; }

 private:
  std::deque<Result<agent::ProbeSample>> script_;
  std::vector<SteadyTime> deadlines_;
};

}  // namespace shardgate::testing
