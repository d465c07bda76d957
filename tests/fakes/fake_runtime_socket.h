// FakeRuntimeSocket: a RuntimeSocket that records every command and answers from a script.
#pragma once

#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "haproxy/runtime_socket.h"

namespace shardgate::testing {

// Replies are chosen by command prefix: the first scripted reply whose prefix matches the
// command answers it. A one-shot reply is used once and then dropped; a standing reply answers
// every match. Commands no script matches get "" (what HAProxy prints for most successes).
// Thread-safe.
class FakeRuntimeSocket final : public haproxy::RuntimeSocket {
 public:
  Result<std::string> Execute(std::string_view command) override {
    std::lock_guard<std::mutex> lock(mu_);
    commands_.emplace_back(command);
    for (auto it = script_.begin(); it != script_.end(); ++it) {
      if (command.substr(0, it->prefix.size()) != it->prefix) continue;
      Result<std::string> reply = it->reply;
      if (it->once) script_.erase(it);
      return reply;
    }
    return std::string();
  }

  // Answers the next command starting with `prefix` (once).
  void ReplyOnce(std::string prefix, Result<std::string> reply) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back({std::move(prefix), std::move(reply), true});
  }
  // Answers every command starting with `prefix`.
  void ReplyAlways(std::string prefix, Result<std::string> reply) {
    std::lock_guard<std::mutex> lock(mu_);
    script_.push_back({std::move(prefix), std::move(reply), false});
  }

  // Drops every scripted reply (to script a changed HAProxy) and the recorded commands.
  void Reset() {
    std::lock_guard<std::mutex> lock(mu_);
    script_.clear();
    commands_.clear();
  }

  // Every command received, in order.
  std::vector<std::string> commands() const {
    std::lock_guard<std::mutex> lock(mu_);
    return commands_;
  }
  // The commands that start with `prefix`, in order.
  std::vector<std::string> CommandsStartingWith(std::string_view prefix) const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> out;
    for (const std::string& c : commands_) {
      if (std::string_view(c).substr(0, prefix.size()) == prefix) out.push_back(c);
    }
    return out;
  }

 private:
  struct Scripted {
    std::string prefix;
    Result<std::string> reply;
    bool once;
  };
  mutable std::mutex mu_;
  std::deque<Scripted> script_;
  std::vector<std::string> commands_;
};

}  // namespace shardgate::testing
