// Prometheus text exposition format 0.0.4: escaping, numbers, and the lines of one family.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/histogram.h"

namespace shardgate {

// Label name/value pairs in the order they are written. Values are escaped when written; names
// must already be valid Prometheus label names.
using MetricLabels = std::vector<std::pair<std::string_view, std::string_view>>;

// The Content-Type of this format.
inline constexpr std::string_view kPrometheusTextContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// Label values: backslash, double quote and newline become \\, \" and \n.
std::string EscapeLabelValue(std::string_view value);
// HELP text: backslash and newline become \\ and \n (quotes stay as they are).
std::string EscapeHelpText(std::string_view text);
// Integral values up to 2^53 as integers ("3", "-2"), others in the shortest form that reads
// back exactly ("0.0025", "1e+300"), and "+Inf", "-Inf", "NaN".
std::string FormatMetricValue(double value);

// "# HELP <name> <help>\n# TYPE <name> <type>\n".
void AppendMetricHeader(std::string& out, std::string_view name, std::string_view type,
                        std::string_view help);
// "<name>{k="v",...} <value>\n" (no braces without labels).
void AppendMetricSample(std::string& out, std::string_view name, const MetricLabels& labels,
                        double value);
// The same for a counter or a version number: every uint64 exactly, even above 2^53.
void AppendMetricCount(std::string& out, std::string_view name, const MetricLabels& labels,
                       uint64_t value);
// <name>_bucket{...,le="<bound>"} for every bound and +Inf, then <name>_sum and <name>_count.
void AppendHistogramSamples(std::string& out, std::string_view name, const MetricLabels& labels,
                            const Histogram& histogram);

}  // namespace shardgate
