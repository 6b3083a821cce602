#include "discovery/option_reader.h"

#include "config/value_parsers.h"

namespace beamlink::discovery {
namespace {

const char* type_name(const OptionValue& value) {
  switch (value.index()) {
    case 0:
      return "a boolean";
    case 1:
      return "an integer";
    case 2:
      return "a float";
    case 3:
      return "a string";
    default:
      return "a list of strings";
  }
}

}  // namespace

std::string OptionReader::where() const {
  return "topology '" + spec_.name + "' (strategy " + spec_.strategy + ")";
}

const OptionValue* OptionReader::find(std::string_view key) {
  read_.emplace(key);
  auto it = spec_.options.find(key);
  return it == spec_.options.end() ? nullptr : &it->second;
}

void OptionReader::invalid(std::string_view key, std::string_view why) {
  if (error_) return;
  error_ = Error{Errc::invalid_argument,
                 where() + ": option " + std::string(key) + " " + std::string(why)};
}

void OptionReader::missing(std::string_view key) {
  invalid(key, "is required");
}

std::optional<std::string> OptionReader::string(std::string_view key) {
  const OptionValue* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(value)) return *s;
  invalid(key, std::string("must be a string, got ") + type_name(*value));
  return std::nullopt;
}

std::optional<std::vector<std::string>> OptionReader::string_list(std::string_view key) {
  const OptionValue* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* list = std::get_if<std::vector<std::string>>(value)) return *list;
  invalid(key, std::string("must be a list of strings, got ") + type_name(*value));
  return std::nullopt;
}

std::optional<int64_t> OptionReader::integer(std::string_view key, int64_t min, int64_t max) {
  const OptionValue* value = find(key);
  if (value == nullptr) return std::nullopt;
  const auto* i = std::get_if<int64_t>(value);
  if (i == nullptr) {
    invalid(key, std::string("must be an integer, got ") + type_name(*value));
    return std::nullopt;
  }
  if (*i < min || *i > max) {
    invalid(key, "must be between " + std::to_string(min) + " and " + std::to_string(max) +
                     ", got " + std::to_string(*i));
    return std::nullopt;
  }
  return *i;
}

std::optional<bool> OptionReader::boolean(std::string_view key) {
  const OptionValue* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* b = std::get_if<bool>(value)) return *b;
  invalid(key, std::string("must be true or false, got ") + type_name(*value));
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> OptionReader::duration(std::string_view key) {
  const OptionValue* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (const auto* i = std::get_if<int64_t>(value)) {
    if (*i < 0 || *i > 1'000'000'000'000) {
      invalid(key, "must be a duration >= 0 (milliseconds), got " + std::to_string(*i));
      return std::nullopt;
    }
    return std::chrono::milliseconds(*i);
  }
  if (const auto* s = std::get_if<std::string>(value)) {
    if (auto parsed = config::parse_duration(*s)) return parsed;
    invalid(key, "must be a duration like 500, \"500ms\", \"5s\" or \"2m\", got \"" + *s + "\"");
    return std::nullopt;
  }
  invalid(key, std::string("must be a duration, got ") + type_name(*value));
  return std::nullopt;
}

Result<void> OptionReader::finish() {
  if (error_) return std::unexpected(*error_);
  for (const auto& [key, value] : spec_.options) {
    if (!read_.contains(key)) {
      std::string known;
      for (const auto& k : read_) known += (known.empty() ? "" : ", ") + k;
      return fail(Errc::invalid_argument,
                  where() + ": unknown option '" + key + "' (known: " + known + ")");
    }
  }
  return {};
}

}  // namespace beamlink::discovery
