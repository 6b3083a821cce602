#include "metrics/registry.h"

namespace beamlink::metrics {
namespace {

bool letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::string_view type_name(Type type) {
  switch (type) {
    case Type::counter:
      return "counter";
    case Type::gauge:
      return "gauge";
    case Type::histogram:
      return "histogram";
  }
  return "untyped";
}

bool valid_metric_name(std::string_view name) {
  if (name.empty() || !(letter(name[0]) || name[0] == ':')) return false;
  for (char c : name) {
    if (!letter(c) && !digit(c) && c != ':') return false;
  }
  return true;
}

bool valid_label_name(std::string_view name) {
  if (name.empty() || !letter(name[0]) || name.starts_with("__")) return false;
  for (char c : name) {
    if (!letter(c) && !digit(c)) return false;
  }
  return true;
}

bool Registry::counter(std::string_view name, std::string_view help, Labels labels, double value) {
  return add(name, help, Type::counter, Sample{std::move(labels), value, {}});
}

bool Registry::gauge(std::string_view name, std::string_view help, Labels labels, double value) {
  return add(name, help, Type::gauge, Sample{std::move(labels), value, {}});
}

bool Registry::histogram(std::string_view name, std::string_view help, Labels labels,
                         HistogramSnapshot histogram) {
  // Every bucket needs a count, plus the one above the last bound.
  if (histogram.counts.size() != histogram.bounds.size() + 1) return false;
  for (size_t i = 1; i < histogram.bounds.size(); ++i) {
    if (!(histogram.bounds[i - 1] < histogram.bounds[i])) return false;
  }
  return add(name, help, Type::histogram, Sample{std::move(labels), 0, std::move(histogram)});
}

bool Registry::add(std::string_view name, std::string_view help, Type type, Sample sample) {
  if (!valid_metric_name(name)) return false;
  for (const Label& label : sample.labels) {
    if (!valid_label_name(label.name)) return false;
    if (label.name == "le" || label.name == "quantile") return false;
  }
  auto found = families_.find(name);
  if (found == families_.end()) {
    found =
        families_.emplace(std::string(name), Family{std::string(name), std::string(help), type, {}})
            .first;
  } else if (found->second.type != type) {
    return false;
  }
  found->second.samples.push_back(std::move(sample));
  return true;
}

}  // namespace beamlink::metrics
