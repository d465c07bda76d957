// Tests for Status/Result and the logfmt formatter.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <functional>
#include <memory>
#include <string>

#include "common/log.h"
#include "common/status.h"

namespace shardgate {

TEST_CASE("a default Status is ok and prints as ok") {
  Status s;
  CHECK(s.ok());
  CHECK(s.ToString() == "ok");
}

TEST_CASE("an error Status carries its code name and message") {
  Status s = Unavailable("consul at 127.0.0.1:8500 refused the connection");
  CHECK_FALSE(s.ok());
  CHECK(s.ToString() == "unavailable: consul at 127.0.0.1:8500 refused the connection");
}

TEST_CASE("a Result holds either a value or an error") {
  Result<int> good = 42;
  REQUIRE(good.ok());
  CHECK(*good == 42);
  Result<int> bad = NotFound("key shardgate/orders/map");
  CHECK_FALSE(bad.ok());
  CHECK(bad.status().code() == Code::kNotFound);
}

TEST_CASE("a Result built from an ok Status is an internal error, not a value") {
  Result<int> r = Status::Ok();
  CHECK_FALSE(r.ok());
  CHECK(r.status().code() == Code::kInternal);
}

// A status-returning step that counts its calls, to show each macro evaluates its argument once.
struct Step {
  int calls = 0;
  Status Run(Status outcome) {
    ++calls;
    return outcome;
  }
  Result<std::string> Fetch(Result<std::string> outcome) {
    ++calls;
    return outcome;
  }
};

Status RunTwice(Step* step, Status first, Status second) {
  RETURN_IF_ERROR(step->Run(first));
  RETURN_IF_ERROR(step->Run(second));
  return Status::Ok();
}

TEST_CASE("RETURN_IF_ERROR passes ok statuses and returns the first error, evaluating once") {
  Step step;
  CHECK(RunTwice(&step, Status::Ok(), Status::Ok()).ok());
  CHECK(step.calls == 2);

  step.calls = 0;
  Status s = RunTwice(&step, Conflict("index 7 is stale"), Unavailable("not reached"));
  CHECK(s.ToString() == "conflict: index 7 is stale");
  CHECK(step.calls == 1);
}

Result<int> LengthOf(Step* step, Result<std::string> fetched) {
  RETURN_IF_ERROR(step->Fetch(fetched));
  return static_cast<int>(fetched->size());
}

TEST_CASE("RETURN_IF_ERROR takes a Result and returns its status from a Result function") {
  Step step;
  Result<int> good = LengthOf(&step, std::string("abc"));
  REQUIRE(good.ok());
  CHECK(*good == 3);
  Result<int> bad = LengthOf(&step, NotFound("key orders/map"));
  CHECK(bad.status().ToString() == "not_found: key orders/map");
  CHECK(step.calls == 2);
}

Result<std::string> Greeting(Step* step, Result<std::string> name) {
  ASSIGN_OR_RETURN(std::string who, step->Fetch(std::move(name)));
  std::string greeting = "hello ";
  ASSIGN_OR_RETURN(greeting, step->Fetch(greeting + who));
  return greeting;
}

TEST_CASE("ASSIGN_OR_RETURN declares or assigns the value, or returns the error") {
  Step step;
  Result<std::string> good = Greeting(&step, std::string("shard_1"));
  REQUIRE(good.ok());
  CHECK(*good == "hello shard_1");
  CHECK(step.calls == 2);

  step.calls = 0;
  Result<std::string> bad = Greeting(&step, PermissionDenied("token refused"));
  CHECK(bad.status().ToString() == "permission_denied: token refused");
  CHECK(step.calls == 1);
}

Status TakeOwnership(Result<std::unique_ptr<int>> made, int* seen) {
  ASSIGN_OR_RETURN(auto owned, std::move(made));
  *seen = *owned;
  return Status::Ok();
}

TEST_CASE("ASSIGN_OR_RETURN moves the value, so move-only types work") {
  int seen = 0;
  CHECK(TakeOwnership(std::make_unique<int>(5), &seen).ok());
  CHECK(seen == 5);
  CHECK(TakeOwnership(Timeout("no reply"), &seen).code() == Code::kTimeout);
}

TEST_CASE("Annotate prefixes the message with context and keeps the code") {
  Status s = Annotate(Unavailable("connection refused"), "map /etc/shardgate/orders.map");
  CHECK(s.code() == Code::kUnavailable);
  CHECK(s.message() == "map /etc/shardgate/orders.map: connection refused");
  CHECK(Annotate(Status::Ok(), "anything").ok());
}

TEST_CASE("Annotate on a Result annotates an error and leaves a value alone") {
  Result<int> bad = Annotate(Result<int>(ProtocolError("bad reply")), "'show info'");
  CHECK(bad.status().ToString() == "protocol: 'show info': bad reply");
  Result<int> good = Annotate(Result<int>(7), "'show info'");
  REQUIRE(good.ok());
  CHECK(*good == 7);
}

// Runs `body` in a forked child with stderr on a pipe; returns what it wrote to stderr, and sets
// *aborted when it died of SIGABRT. No sockets, no sleeping: the child either aborts or exits.
std::string StderrOfChild(const std::function<void()>& body, bool* aborted) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    std::signal(SIGABRT, SIG_DFL);  // doctest's crash handler would report a failure
    dup2(fds[1], STDERR_FILENO);
    close(fds[0]);
    body();
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  *aborted = WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGABRT;
  return out;
}

TEST_CASE("reading the value of an error Result aborts and names the status") {
  bool aborted = false;
  std::string err = StderrOfChild(
      [] {
        Result<int> bad = NotFound("key orders/map");
        (void)bad.value();
      },
      &aborted);
  CHECK(aborted);
  CHECK(err == "Result::value() on error: not_found: key orders/map\n");

  aborted = false;
  err = StderrOfChild(
      [] {
        Result<std::string> bad = Unavailable("consul down");
        (void)bad->size();
      },
      &aborted);
  CHECK(aborted);
  CHECK(err == "Result::value() on error: unavailable: consul down\n");
}

TEST_CASE("log lines quote values with spaces and escape quotes") {
  std::string line = FormatLogLine("T", LogLevel::kWarn, "probe_failed",
                                   {{"node", "shard_1/n1"}, {"error", "server said \"no\""}});
  CHECK(line ==
        "ts=T level=warn event=probe_failed node=shard_1/n1 error=\"server said \\\"no\\\"\"\n");
}

TEST_CASE("log levels parse from their names only") {
  LogLevel l = LogLevel::kInfo;
  CHECK(ParseLogLevel("debug", &l));
  CHECK(l == LogLevel::kDebug);
  CHECK_FALSE(ParseLogLevel("verbose", &l));
}

}  // namespace shardgate
