// discovery/option_reader.h - typed, checked access to a topology's options.
//
// Each strategy reads its options through one OptionReader and calls
// finish() last: any key it did not read is an error ("unknown option"),
// and so is a value of the wrong type. Errors name the topology, the
// strategy and the key. Durations follow libcluster: an integer is
// milliseconds; a string may carry a unit ("500ms", "5s", "2m").
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/cluster.h"
#include "beamlink/result.h"

namespace beamlink::discovery {

class OptionReader {
 public:
  OptionReader(const TopologySpec& spec) : spec_(spec) {}

  std::optional<std::string> string(std::string_view key);
  std::optional<std::vector<std::string>> string_list(std::string_view key);
  std::optional<int64_t> integer(std::string_view key, int64_t min, int64_t max);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::chrono::milliseconds> duration(std::string_view key);

  // Records a custom error for `key` (the first error wins).
  void invalid(std::string_view key, std::string_view why);
  void missing(std::string_view key);

  // The first error, or unknown keys; call after reading every option.
  Result<void> finish();

  std::string where() const;  // "topology 'x' (strategy epmd)"

 private:
  const OptionValue* find(std::string_view key);
  const TopologySpec& spec_;
  std::set<std::string, std::less<>> read_;
  std::optional<Error> error_;
};

}  // namespace beamlink::discovery
