// Prometheus text: escaping, number formats, sample and histogram lines.
#include "common/prometheus_text.h"

#include <doctest/doctest.h>

#include <limits>

namespace shardgate {
namespace {

TEST_CASE("label values escape backslash, double quote and newline and nothing else") {
  CHECK(EscapeLabelValue(R"(a\b"c)"
                         "\n"
                         "d'e") == R"(a\\b\"c\nd'e)");
  CHECK(EscapeLabelValue("shard_1") == "shard_1");
}

TEST_CASE("help text escapes backslash and newline but keeps quotes") {
  CHECK(EscapeHelpText("say \"hi\"\\\nbye") == "say \"hi\"\\\\\\nbye");
}

TEST_CASE("numbers are integers when integral, shortest exact decimals otherwise") {
  CHECK(FormatMetricValue(0) == "0");
  CHECK(FormatMetricValue(3) == "3");
  CHECK(FormatMetricValue(-2) == "-2");
  CHECK(FormatMetricValue(1e6) == "1000000");
  CHECK(FormatMetricValue(0.0025) == "0.0025");
  CHECK(FormatMetricValue(2.5) == "2.5");
  CHECK(FormatMetricValue(1e300) == "1e+300");
}

TEST_CASE("infinities and NaN are spelled as Prometheus reads them") {
  CHECK(FormatMetricValue(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(FormatMetricValue(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(FormatMetricValue(std::numeric_limits<double>::quiet_NaN()) == "NaN");
}

TEST_CASE("a family header is a HELP line and a TYPE line") {
  std::string out;
  AppendMetricHeader(out, "x_total", "counter", "Things.\nMore.");
  CHECK(out == "# HELP x_total Things.\\nMore.\n# TYPE x_total counter\n");
}

TEST_CASE("samples carry their labels in order with escaped values, and none without labels") {
  std::string out;
  AppendMetricSample(out, "x", {}, 1.5);
  AppendMetricSample(out, "x", {{"a", "1"}, {"b", "q\""}}, 0);
  CHECK(out == "x 1.5\nx{a=\"1\",b=\"q\\\"\"} 0\n");
}

TEST_CASE("counts are written exactly even above what a double holds") {
  std::string out;
  AppendMetricCount(out, "v", {}, 18446744073709551615ull);
  CHECK(out == "v 18446744073709551615\n");
}

TEST_CASE("a histogram writes cumulative buckets, +Inf, sum and count, with its labels") {
  Histogram h({0.5, 1});
  h.Observe(0.25);
  h.Observe(0.75);
  h.Observe(3);
  std::string out;
  AppendHistogramSamples(out, "d_seconds", {{"op", "x"}}, h);
  CHECK(out == "d_seconds_bucket{op=\"x\",le=\"0.5\"} 1\n"
               "d_seconds_bucket{op=\"x\",le=\"1\"} 2\n"
               "d_seconds_bucket{op=\"x\",le=\"+Inf\"} 3\n"
               "d_seconds_sum{op=\"x\"} 4\n"
               "d_seconds_count{op=\"x\"} 3\n");
}

}  // namespace
}  // namespace shardgate
