// Tests for Go duration parsing and formatting.
#include "common/duration.h"

#include <doctest/doctest.h>

namespace shardgate {
namespace {

using std::chrono::nanoseconds;

TEST_CASE("Go durations parse with every unit and combination") {
  CHECK(*ParseGoDuration("15s") == std::chrono::seconds(15));
  CHECK(*ParseGoDuration("1m30s") == std::chrono::seconds(90));
  CHECK(*ParseGoDuration("250ms") == std::chrono::milliseconds(250));
  CHECK(*ParseGoDuration("1.5h") == std::chrono::minutes(90));
  CHECK(*ParseGoDuration("0") == nanoseconds(0));
  CHECK(*ParseGoDuration("-2s") == std::chrono::seconds(-2));
  CHECK(*ParseGoDuration("+5ns") == nanoseconds(5));
  CHECK(*ParseGoDuration("3us") == nanoseconds(3000));
  CHECK(*ParseGoDuration("3\xc2\xb5s") == nanoseconds(3000));
  CHECK(*ParseGoDuration(".5s") == std::chrono::milliseconds(500));
  CHECK(*ParseGoDuration("1.s") == std::chrono::seconds(1));
  CHECK(*ParseGoDuration("1h2m3.5s") == std::chrono::milliseconds(3'723'500));
}

TEST_CASE("durations at the edge of int64 nanoseconds parse and one past it does not") {
  CHECK(*ParseGoDuration("9223372036854775807ns") == nanoseconds::max());
  CHECK(*ParseGoDuration("-9223372036854775808ns") == nanoseconds::min());
  CHECK_FALSE(ParseGoDuration("9223372036854775808ns").ok());
  CHECK_FALSE(ParseGoDuration("2562048h").ok());
  CHECK_FALSE(ParseGoDuration("99999999999999999999s").ok());
}

TEST_CASE("bad durations carry Go's error text") {
  CHECK(ParseGoDuration("10").status().message() == "time: missing unit in duration \"10\"");
  CHECK(ParseGoDuration("x").status().message() == "time: invalid duration \"x\"");
  CHECK(ParseGoDuration("3d").status().message() == "time: unknown unit \"d\" in duration \"3d\"");
  CHECK(ParseGoDuration("").status().message() == "time: invalid duration \"\"");
  CHECK(ParseGoDuration("-").status().message() == "time: invalid duration \"-\"");
  CHECK(ParseGoDuration(".s").status().message() == "time: invalid duration \".s\"");
  CHECK(ParseGoDuration("1s ").status().message() ==
        "time: unknown unit \"s \" in duration \"1s \"");
  CHECK(ParseGoDuration("10").status().code() == Code::kInvalidArgument);
}

TEST_CASE("durations format like Go's Duration.String") {
  CHECK(FormatGoDuration(std::chrono::seconds(10)) == "10s");
  CHECK(FormatGoDuration(std::chrono::hours(24)) == "24h0m0s");
  CHECK(FormatGoDuration(std::chrono::seconds(90)) == "1m30s");
  CHECK(FormatGoDuration(std::chrono::milliseconds(250)) == "250ms");
  CHECK(FormatGoDuration(nanoseconds(0)) == "0s");
  CHECK(FormatGoDuration(nanoseconds(1500)) == "1.5\xc2\xb5s");
  CHECK(FormatGoDuration(nanoseconds(999)) == "999ns");
  CHECK(FormatGoDuration(nanoseconds(1'500'000)) == "1.5ms");
  CHECK(FormatGoDuration(nanoseconds(10'000'000'001)) == "10.000000001s");
  CHECK(FormatGoDuration(std::chrono::milliseconds(-1500)) == "-1.5s");
  CHECK(FormatGoDuration(nanoseconds::min()) == "-2562047h47m16.854775808s");
}

TEST_CASE("formatted durations parse back to the same value") {
  for (nanoseconds d : {nanoseconds(1), nanoseconds(1234), nanoseconds(-7'000'000),
                        nanoseconds(3'723'500'000'000), nanoseconds::max()}) {
    CAPTURE(d.count());
    CHECK(*ParseGoDuration(FormatGoDuration(d)) == d);
  }
}

}  // namespace
}  // namespace shardgate
