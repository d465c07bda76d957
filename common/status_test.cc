// Tests for Status/Result and the logfmt formatter.
#include <doctest/doctest.h>

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

TEST_CASE("log lines quote values with spaces and escape quotes") {
  std::string line = FormatLogLine("T", LogLevel::kWarn, "probe_failed",
                                   {{"node", "shard_1/n1"}, {"error", "server said \"no\""}});
  CHECK(line == "ts=T level=warn event=probe_failed node=shard_1/n1 error=\"server said \\\"no\\\"\"\n");
}

TEST_CASE("log levels parse from their names only") {
  LogLevel l = LogLevel::kInfo;
  CHECK(ParseLogLevel("debug", &l));
  CHECK(l == LogLevel::kDebug);
  CHECK_FALSE(ParseLogLevel("verbose", &l));
}

}  // namespace shardgate
