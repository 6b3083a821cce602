// metrics/text_format.h - the Prometheus text exposition format, version
// 0.0.4: what a /metrics endpoint answers. Pure: a Registry in, text out.
//
// Per family: "# HELP name text" (backslash and newline escaped), "# TYPE
// name counter|gauge|histogram", then its samples sorted by their labels:
// name{label="value",...} value, label values with backslash, double quote
// and newline escaped. A histogram sample becomes name_bucket lines with
// cumulative counts and an le label per bound, ending with le="+Inf" (equal
// to name_count), then name_sum and name_count. Values print as integers
// when they are whole, else in the shortest form that reads back exactly;
// NaN and infinities as NaN, +Inf, -Inf. Every line ends with "\n".
// It is served as beamlink::kMetricsContentType (beamlink/metrics.h).
#pragma once

#include <string>
#include <string_view>

#include "metrics/registry.h"

namespace beamlink::metrics {

std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view help);
std::string format_value(double value);
std::string encode_text(const Registry& registry);

}  // namespace beamlink::metrics
