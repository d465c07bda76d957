// Unit tests for Go duration parsing and formatting.
#include "dev/consul/duration.h"

#include <doctest/doctest.h>

namespace shardgate::consul::dev {
namespace {

TEST_CASE("Go durations parse with every unit and combination") {
  CHECK(*ParseGoDuration("15s") == std::chrono::seconds(15));
  CHECK(*ParseGoDuration("1m30s") == std::chrono::seconds(90));
  CHECK(*ParseGoDuration("250ms") == std::chrono::milliseconds(250));
  CHECK(*ParseGoDuration("1.5h") == std::chrono::minutes(90));
  CHECK(*ParseGoDuration("0") == Nanos(0));
  CHECK(*ParseGoDuration("-2s") == std::chrono::seconds(-2));
}

TEST_CASE("bad durations carry Go's error text") {
  CHECK(ParseGoDuration("10").status().message() == "time: missing unit in duration \"10\"");
  CHECK(ParseGoDuration("x").status().message() == "time: invalid duration \"x\"");
  CHECK(ParseGoDuration("3d").status().message() == "time: unknown unit \"d\" in duration \"3d\"");
  CHECK_FALSE(ParseGoDuration("").ok());
}

TEST_CASE("durations format like Go's Duration.String") {
  CHECK(FormatGoDuration(std::chrono::seconds(10)) == "10s");
  CHECK(FormatGoDuration(std::chrono::hours(24)) == "24h0m0s");
  CHECK(FormatGoDuration(std::chrono::seconds(90)) == "1m30s");
  CHECK(FormatGoDuration(std::chrono::milliseconds(250)) == "250ms");
  CHECK(FormatGoDuration(Nanos(0)) == "0s");
}

}  // namespace
}  // namespace shardgate::consul::dev
