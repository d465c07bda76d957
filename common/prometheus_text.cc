// Prometheus text lines (see prometheus_text.h).
#include "common/prometheus_text.h"

#include <charconv>
#include <cmath>

namespace shardgate {
namespace {

// Doubles hold every integer up to 2^53 exactly; beyond that "integral" is an artefact.
constexpr double kExactIntegerLimit = 9007199254740992.0;

void AppendSeriesName(std::string& out, std::string_view name, const MetricLabels& labels) {
  out += name;
  if (labels.empty()) return;
  out += '{';
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ',';
    out += labels[i].first;
    out += "=\"";
    out += EscapeLabelValue(labels[i].second);
    out += '"';
  }
  out += '}';
}

void AppendLine(std::string& out, std::string_view name, const MetricLabels& labels,
                std::string_view value) {
  AppendSeriesName(out, name, labels);
  out += ' ';
  out += value;
  out += '\n';
}

std::string Suffixed(std::string_view name, std::string_view suffix) {
  return std::string(name) + std::string(suffix);
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string EscapeHelpText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string FormatMetricValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::to_chars_result r;
  if (std::fabs(value) <= kExactIntegerLimit && value == std::trunc(value)) {
    r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(value));
  } else {
    r = std::to_chars(buf, buf + sizeof buf, value);
  }
  return std::string(buf, r.ptr);
}

void AppendMetricHeader(std::string& out, std::string_view name, std::string_view type,
                        std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += EscapeHelpText(help);
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void AppendMetricSample(std::string& out, std::string_view name, const MetricLabels& labels,
                        double value) {
  AppendLine(out, name, labels, FormatMetricValue(value));
}

void AppendMetricCount(std::string& out, std::string_view name, const MetricLabels& labels,
                       uint64_t value) {
  AppendLine(out, name, labels, std::to_string(value));
}

void AppendHistogramSamples(std::string& out, std::string_view name, const MetricLabels& labels,
                            const Histogram& histogram) {
  const std::string bucket = Suffixed(name, "_bucket");
  const std::vector<uint64_t> cumulative = histogram.CumulativeCounts();
  MetricLabels with_le = labels;
  with_le.emplace_back("le", "");
  for (size_t i = 0; i < cumulative.size(); ++i) {
    const std::string le = FormatMetricValue(histogram.upper_bounds()[i]);
    with_le.back().second = le;
    AppendMetricCount(out, bucket, with_le, cumulative[i]);
  }
  with_le.back().second = "+Inf";
  AppendMetricCount(out, bucket, with_le, histogram.count());
  AppendMetricSample(out, Suffixed(name, "_sum"), labels, histogram.sum());
  AppendMetricCount(out, Suffixed(name, "_count"), labels, histogram.count());
}

}  // namespace shardgate
