// metrics/registry.h - metric families for one scrape: counters, gauges
// and histograms with labels, in the Prometheus data model. Pure: no I/O,
// no clock, no global state; text_format.h turns a Registry into text.
//
// Contract:
//  * A family is created by its first sample and keeps that help and type.
//    A sample whose name or label names are not valid Prometheus names
//    (metric: [a-zA-Z_:][a-zA-Z0-9_:]*; label: [a-zA-Z_][a-zA-Z0-9_]*, not
//    starting with "__", not "le" or "quantile", which the format reserves),
//    a histogram whose bounds do not rise or whose counts do not match
//    them, or a sample whose type
//    differs from its family's, is refused: add() returns false and
//    nothing changes. Label values may hold any bytes (escaped on output).
//  * Families iterate in name order, so output is deterministic; samples
//    in the order added (the encoder sorts them by labels).
//  * Not thread-safe: one Registry per scrape.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "beamlink/node_metrics.h"

namespace beamlink::metrics {

enum class Type { counter, gauge, histogram };
std::string_view type_name(Type type);

struct Label {
  std::string name;
  std::string value;
};
using Labels = std::vector<Label>;

struct Sample {
  Labels labels;
  double value = 0;             // counter, gauge
  HistogramSnapshot histogram;  // histogram
};

struct Family {
  std::string name;
  std::string help;
  Type type = Type::gauge;
  std::vector<Sample> samples;
};

bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

class Registry {
 public:
  bool counter(std::string_view name, std::string_view help, Labels labels, double value);
  bool gauge(std::string_view name, std::string_view help, Labels labels, double value);
  bool histogram(std::string_view name, std::string_view help, Labels labels,
                 HistogramSnapshot histogram);

  // By name.
  const std::map<std::string, Family, std::less<>>& families() const { return families_; }

 private:
  bool add(std::string_view name, std::string_view help, Type type, Sample sample);

  std::map<std::string, Family, std::less<>> families_;
};

}  // namespace beamlink::metrics
