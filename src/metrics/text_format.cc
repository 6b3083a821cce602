#include "metrics/text_format.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>

namespace beamlink::metrics {
namespace {

// Backslash and newline always; double quotes inside label values only.
std::string escape(std::string_view text, bool quotes) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

void append_labels(std::string& out, const Labels& labels, std::string_view le = {}) {
  if (labels.empty() && le.empty()) return;
  out += '{';
  bool first = true;
  for (const Label& label : labels) {
    if (!first) out += ',';
    first = false;
    out += label.name;
    out += "=\"";
    out += escape_label_value(label.value);
    out += '"';
  }
  if (!le.empty()) {
    if (!first) out += ',';
    out += "le=\"";
    out += le;
    out += '"';
  }
  out += '}';
}

void append_line(std::string& out, std::string_view name, std::string_view suffix,
                 const Labels& labels, std::string_view value, std::string_view le = {}) {
  out += name;
  out += suffix;
  append_labels(out, labels, le);
  out += ' ';
  out += value;
  out += '\n';
}

bool labels_less(const Sample& a, const Sample& b) {
  return std::lexicographical_compare(a.labels.begin(), a.labels.end(), b.labels.begin(),
                                      b.labels.end(), [](const Label& x, const Label& y) {
                                        return x.name != y.name ? x.name < y.name
                                                                : x.value < y.value;
                                      });
}

void append_histogram(std::string& out, const Family& family, const Sample& sample) {
  const HistogramSnapshot& h = sample.histogram;
  uint64_t cumulative = 0;
  for (size_t i = 0; i < h.bounds.size(); ++i) {
    cumulative += h.counts[i];
    append_line(out, family.name, "_bucket", sample.labels, std::to_string(cumulative),
                format_value(h.bounds[i]));
  }
  cumulative += h.counts.back();
  // +Inf must equal _count: both come from the buckets, never from a
  // separately read total that may have moved on meanwhile.
  append_line(out, family.name, "_bucket", sample.labels, std::to_string(cumulative), "+Inf");
  append_line(out, family.name, "_sum", sample.labels, format_value(h.sum));
  append_line(out, family.name, "_count", sample.labels, std::to_string(cumulative));
}

}  // namespace

std::string escape_label_value(std::string_view value) {
  return escape(value, true);
}

std::string escape_help(std::string_view help) {
  return escape(help, false);
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  // Whole numbers up to 2^53 print exactly as integers (counters, gauges).
  if (value == std::floor(value) && std::fabs(value) < 9007199254740992.0) {
    return std::to_string(static_cast<int64_t>(value));
  }
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general);
  return std::string(buffer, end);
}

std::string encode_text(const Registry& registry) {
  std::string out;
  for (const auto& [name, family] : registry.families()) {
    out += "# HELP " + name + " " + escape_help(family.help) + "\n";
    out += "# TYPE " + name + " " + std::string(type_name(family.type)) + "\n";
    std::vector<const Sample*> samples;
    samples.reserve(family.samples.size());
    for (const Sample& sample : family.samples) samples.push_back(&sample);
    std::stable_sort(samples.begin(), samples.end(),
                     [](const Sample* a, const Sample* b) { return labels_less(*a, *b); });
    for (const Sample* sample : samples) {
      if (family.type == Type::histogram) {
        append_histogram(out, family, *sample);
      } else {
        append_line(out, name, "", sample->labels, format_value(sample->value));
      }
    }
  }
  return out;
}

}  // namespace beamlink::metrics
