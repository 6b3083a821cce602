// The TOML half of config/node_config.h: parse_config and load_config_file.
// The environment half is node_config_env.cc.
//
// toml++ is used header-only, with exceptions: its parse_error is caught
// here and becomes an Errc::malformed Result, so nothing throws out of the
// module. Every later error is Errc::invalid_argument and starts with
// "source:line:column: " where line and column are the key's (unknown key)
// or the value's (wrong type, out of range).
#include "config/node_config.h"

#include <sys/stat.h>
#include <toml++/toml.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <limits>

#include "config/pod_name.h"
#include "config/value_parsers.h"

namespace beamlink::config {
namespace {

using std::chrono::milliseconds;

constexpr int64_t kMaxConfigBytes = 1 << 20;
constexpr int64_t kMaxPeers = 1'000'000;
constexpr int64_t kMaxConnectThreads = 1024;
constexpr int64_t kMaxConnects = 65536;

const char* type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table:
      return "a table";
    case toml::node_type::array:
      return "an array";
    case toml::node_type::string:
      return "a string";
    case toml::node_type::integer:
      return "an integer";
    case toml::node_type::floating_point:
      return "a float";
    case toml::node_type::boolean:
      return "a boolean";
    case toml::node_type::date:
      return "a date";
    case toml::node_type::time:
      return "a time";
    case toml::node_type::date_time:
      return "a date-time";
    default:
      return "nothing";
  }
}

std::unexpected<Error> fail_at(std::string_view source, const toml::source_region& where,
                               const std::string& message) {
  return fail(Errc::invalid_argument, std::string(source) + ":" + std::to_string(where.begin.line) +
                                          ":" + std::to_string(where.begin.column) + ": " +
                                          message);
}

// One value under its dotted name ("node.ticktime"), for typed reads that
// report errors at the value's position.
struct Field {
  std::string_view source;
  std::string name;
  const toml::node& node;

  std::unexpected<Error> wrong(const std::string& expected) const {
    return fail_at(source, node.source(),
                   name + " must be " + expected + ", got " + type_name(node));
  }
  std::unexpected<Error> invalid(const std::string& why) const {
    return fail_at(source, node.source(), name + " " + why);
  }

  Result<std::string> string() const {
    const auto* value = node.as_string();
    if (value == nullptr) return wrong("a string");
    if (value->get().empty()) return invalid("must not be empty");
    return value->get();
  }

  Result<bool> boolean() const {
    const auto* value = node.as_boolean();
    if (value == nullptr) return wrong("true or false");
    return value->get();
  }

  Result<int64_t> integer(int64_t min, int64_t max) const {
    const auto* value = node.as_integer();
    if (value == nullptr) return wrong("an integer");
    if (value->get() < min || value->get() > max) {
      return invalid("must be in " + std::to_string(min) + ".." + std::to_string(max) + ", got " +
                     std::to_string(value->get()));
    }
    return value->get();
  }

  Result<uint16_t> port() const {
    auto value = integer(1, 65535);
    if (!value) return std::unexpected(value.error());
    return static_cast<uint16_t>(*value);
  }

  Result<double> number(double min, double max) const {
    double value = 0;
    if (const auto* i = node.as_integer()) {
      value = static_cast<double>(i->get());
    } else if (const auto* f = node.as_floating_point()) {
      value = f->get();
    } else {
      return wrong("a number");
    }
    if (!(value >= min && value <= max)) {
      return invalid("must be in " + std::to_string(min) + ".." + std::to_string(max));
    }
    return value;
  }

  // An integer counts bytes; a string may carry a binary unit ("256MiB").
  Result<uint64_t> byte_size(uint64_t min, uint64_t max) const {
    const std::string expected = "a size in bytes " + std::to_string(min) + ".." +
                                 std::to_string(max) + " (integer, or a string like \"256MiB\")";
    std::optional<uint64_t> value;
    if (const auto* i = node.as_integer()) {
      if (i->get() >= 0) value = parse_byte_size(std::to_string(i->get()), min, max);
      if (!value) return invalid("must be " + expected + ", got " + std::to_string(i->get()));
    } else if (const auto* s = node.as_string()) {
      value = parse_byte_size(s->get(), min, max);
      if (!value) return invalid("must be " + expected + ", got \"" + s->get() + "\"");
    } else {
      return wrong(expected);
    }
    return *value;
  }

  // An integer counts in `unit`; a string carries its own ("500ms", "5s").
  // `positive`: zero is refused too.
  Result<milliseconds> duration(milliseconds unit, std::string_view unit_name,
                                bool positive) const {
    std::string expected = "a duration (integer " + std::string(unit_name) +
                           ", or a string like \"500ms\", \"5s\", \"2m\")";
    std::optional<milliseconds> value;
    if (const auto* i = node.as_integer()) {
      if (i->get() < 0 || i->get() > 1'000'000'000'000 / unit.count()) {
        return invalid("must be " + expected + ", got " + std::to_string(i->get()));
      }
      value = i->get() * unit;
    } else if (const auto* s = node.as_string()) {
      value = parse_duration(s->get());
      if (!value) return invalid("must be " + expected + ", got \"" + s->get() + "\"");
    } else {
      return wrong(expected);
    }
    if (positive && value->count() == 0) return invalid("must be more than zero");
    return *value;
  }
};

// Calls `read(field)` for each key of `table`; `read` returns false for a
// key it does not know, which becomes an error at that key.
template <class Read>
Result<void> each_key(std::string_view source, std::string_view section, const toml::table& table,
                      Read read) {
  for (auto&& [key, node] : table) {
    Field field{source, std::string(section) + "." + std::string(key.str()), node};
    auto known = read(key.str(), field);
    if (!known) return std::unexpected(known.error());
    if (!*known) {
      return fail_at(
          source, key.source(),
          "unknown key '" + std::string(key.str()) + "' in [" + std::string(section) + "]");
    }
  }
  return {};
}

// Assigns `result` to `out` and reports whether the key was handled; an
// error passes through.
template <class T, class U>
Result<bool> store(std::optional<T>& out, Result<U> result) {
  if (!result) return std::unexpected(result.error());
  out = static_cast<T>(std::move(*result));
  return true;
}

template <class T, class U>
Result<bool> store(T& out, Result<U> result) {
  if (!result) return std::unexpected(result.error());
  out = static_cast<T>(std::move(*result));
  return true;
}

Result<bool> read_node_key(std::string_view key, const Field& f, NodeSettings& n) {
  constexpr milliseconds kSecond{1000};
  constexpr milliseconds kMilli{1};
  if (key == "name") {
    auto name = f.string();
    if (name && !is_node_name(*name)) return f.invalid("must be name@host, got \"" + *name + "\"");
    return store(n.name, std::move(name));
  }
  if (key == "cookie") return store(n.cookie, f.string());
  if (key == "cookie_file") return store(n.cookie_file, f.string());
  if (key == "hidden") return store(n.hidden, f.boolean());
  if (key == "connect_all") return store(n.connect_all, f.boolean());
  if (key == "ticktime") return store(n.ticktime, f.duration(kSecond, "seconds", true));
  if (key == "listen_address") return store(n.listen_address, f.string());
  if (key == "dist_port") {
    auto port = f.port();
    if (port) n.port_max = *port;
    return store(n.port_min, std::move(port));
  }
  if (key == "dist_port_min") return store(n.port_min, f.port());
  if (key == "dist_port_max") return store(n.port_max, f.port());
  if (key == "epmd") return store(n.use_epmd, f.boolean());
  if (key == "epmd_port") return store(n.epmd_port, f.port());
  if (key == "peer_port") return store(n.peer_port, f.port());
  if (key == "log_level") {
    auto text = f.string();
    if (!text) return std::unexpected(text.error());
    auto level = parse_log_level(*text);
    if (!level) return f.invalid("must be debug, info, warning or error, got \"" + *text + "\"");
    n.log_level = level;
    return true;
  }
  if (key == "log_format") {
    auto text = f.string();
    if (!text) return std::unexpected(text.error());
    auto format = parse_log_format(*text);
    if (!format) return f.invalid("must be text or json, got \"" + *text + "\"");
    n.log_format = format;
    return true;
  }
  if (key == "worker_threads") {
    auto count = f.integer(1, kMaxWorkerThreads);
    if (!count) return std::unexpected(count.error());
    n.worker_threads = static_cast<unsigned>(*count);
    return true;
  }
  // A zero probe interval turns probing off (dist::DistOptions).
  if (key == "liveness_probe") return store(n.liveness_probe, f.duration(kMilli, "ms", false));
  if (key == "liveness_timeout") return store(n.liveness_timeout, f.duration(kMilli, "ms", true));
  if (key == "liveness_watchers") {
    auto count = f.integer(0, 64);
    if (!count) return std::unexpected(count.error());
    n.liveness_watchers = static_cast<unsigned>(*count);
    return true;
  }
  if (key == "max_message_size") {
    return store(n.max_message_size, f.byte_size(kMinReceiveBound, kMaxReceiveBound));
  }
  if (key == "reassembly_budget") {
    return store(n.reassembly_budget, f.byte_size(kMinReceiveBound, kMaxReceiveBound));
  }
  if (key == "dist_buf_busy_limit") {
    return store(n.dist_buf_busy_limit, f.byte_size(kMinBusyLimit, kMaxBusyLimit));
  }
  if (key == "send_timeout") return store(n.send_timeout, f.duration(kMilli, "ms", false));
  if (key == "busy_send_timeout") {
    return store(n.busy_send_timeout, f.duration(kMilli, "ms", false));
  }
  if (key == "health_address") return store(n.health_address, f.string());
  if (key == "health_port") return store(n.health_port, f.port());
  if (key == "name_mode") {
    auto text = f.string();
    if (text && !parse_pod_name_mode(*text)) {
      return f.invalid("must be ip, dns or hostname, got \"" + *text + "\"");
    }
    return store(n.name_mode, std::move(text));
  }
  if (key == "basename") return store(n.basename, f.string());
  if (key == "epmd_daemon") return store(n.epmd_daemon, f.boolean());
  if (key == "service_name") return store(n.service_name, f.string());
  if (key == "cluster_domain") return store(n.cluster_domain, f.string());
  if (key == "max_mailbox") {
    auto count = f.integer(0, std::numeric_limits<int64_t>::max());
    if (!count) return std::unexpected(count.error());
    n.max_mailbox = static_cast<size_t>(*count);
    return true;
  }
  if (key == "max_mailbox_policy") {
    auto text = f.string();
    if (!text) return std::unexpected(text.error());
    auto policy = parse_mailbox_policy(*text);
    if (!policy) return f.invalid("must be drop or kill, got \"" + *text + "\"");
    n.max_mailbox_policy = policy;
    return true;
  }
  return false;
}

// dist_port is shorthand for dist_port_min = dist_port_max; the two forms
// exclude each other, and a range needs both ends.
Result<void> check_dist_ports(std::string_view source, const toml::table& table,
                              const NodeSettings& n) {
  const toml::node* single = table.get("dist_port");
  const toml::node* min = table.get("dist_port_min");
  const toml::node* max = table.get("dist_port_max");
  if (single != nullptr && (min != nullptr || max != nullptr)) {
    return fail_at(source, (min != nullptr ? min : max)->source(),
                   "node.dist_port and node.dist_port_min/dist_port_max are mutually exclusive");
  }
  if ((min == nullptr) != (max == nullptr)) {
    return fail_at(source, (min != nullptr ? min : max)->source(),
                   "node.dist_port_min and node.dist_port_max go together");
  }
  if (min != nullptr && *n.port_min > *n.port_max) {
    return fail_at(source, min->source(), "node.dist_port_min is above node.dist_port_max");
  }
  return {};
}

Result<void> read_node(std::string_view source, const toml::table& table, NodeSettings& n) {
  auto keys = each_key(source, "node", table, [&](std::string_view key, const Field& f) {
    return read_node_key(key, f, n);
  });
  if (!keys) return keys;
  if (const toml::node* mode = table.get("name_mode"); mode != nullptr && n.name) {
    return fail_at(source, mode->source(), "node.name and node.name_mode exclude each other");
  }
  if (const toml::node* mode = table.get("name_mode"); mode != nullptr && !n.basename) {
    return fail_at(source, mode->source(), "node.name_mode needs node.basename");
  }
  return check_dist_ports(source, table, n);
}

Result<void> read_startup(std::string_view source, const toml::table& table, StartupOptions& s) {
  return each_key(source, "startup", table,
                  [&](std::string_view key, const Field& f) -> Result<bool> {
                    if (key == "min_peers") return store(s.min_peers, f.integer(0, kMaxPeers));
                    if (key == "timeout") {
                      return store(s.timeout, f.duration(milliseconds(1), "ms", false));
                    }
                    if (key == "required") return store(s.required, f.boolean());
                    return false;
                  });
}

Result<void> read_reconciler(std::string_view source, const toml::table& table,
                             ReconcilerOptions& r) {
  auto keys = each_key(source, "reconciler", table,
                       [&](std::string_view key, const Field& f) -> Result<bool> {
                         constexpr milliseconds kMilli{1};
                         if (key == "backoff_initial")
                           return store(r.backoff_initial, f.duration(kMilli, "ms", true));
                         if (key == "backoff_max")
                           return store(r.backoff_max, f.duration(kMilli, "ms", true));
                         if (key == "jitter") return store(r.jitter, f.number(0, 1));
                         if (key == "resync_interval")
                           return store(r.resync_interval, f.duration(kMilli, "ms", true));
                         if (key == "connect_threads") {
                           return store(r.connect_threads, f.integer(1, kMaxConnectThreads));
                         }
                         if (key == "max_connects") {
                           return store(r.max_connects, f.integer(1, kMaxConnects));
                         }
                         if (key == "connect_timeout")
                           return store(r.connect_timeout, f.duration(kMilli, "ms", true));
                         return false;
                       });
  if (!keys) return keys;
  if (r.backoff_initial > r.backoff_max) {
    const toml::node* at = table.get("backoff_initial");
    if (at == nullptr) at = table.get("backoff_max");
    return fail_at(source, at->source(),
                   "reconciler.backoff_initial (" + std::to_string(r.backoff_initial.count()) +
                       " ms) is above reconciler.backoff_max (" +
                       std::to_string(r.backoff_max.count()) + " ms)");
  }
  return {};
}

// A topology option, as cluster.h's OptionValue holds it; the strategy
// checks names and meanings later (Cluster::validate).
Result<OptionValue> option_value(const Field& f) {
  if (const auto* b = f.node.as_boolean()) return OptionValue(b->get());
  if (const auto* i = f.node.as_integer()) return OptionValue(i->get());
  if (const auto* d = f.node.as_floating_point()) return OptionValue(d->get());
  if (const auto* s = f.node.as_string()) return OptionValue(s->get());
  if (const auto* array = f.node.as_array()) {
    std::vector<std::string> items;
    for (size_t i = 0; i < array->size(); ++i) {
      const toml::node& item = *array->get(i);
      const auto* s = item.as_string();
      if (s == nullptr) {
        return fail_at(f.source, item.source(),
                       f.name + "[" + std::to_string(i) + "] must be a string, got " +
                           type_name(item) + " (option lists hold strings only)");
      }
      items.push_back(s->get());
    }
    return OptionValue(std::move(items));
  }
  if (f.node.is_table()) {
    return f.invalid("is a nested table; topology options are values or lists of strings");
  }
  return f.wrong("a boolean, number, string or list of strings");
}

Result<TopologySpec> read_topology(std::string_view source, std::string_view name,
                                   const toml::node& node) {
  std::string section = "topologies." + std::string(name);
  const toml::table* table = node.as_table();
  if (table == nullptr) {
    return fail_at(
        source, node.source(),
        section + " must be a table ([" + section + "] with a strategy), got " + type_name(node));
  }
  if (name.empty()) return fail_at(source, node.source(), "a topology name must not be empty");
  TopologySpec spec{std::string(name), {}, {}};
  auto keys =
      each_key(source, section, *table, [&](std::string_view key, const Field& f) -> Result<bool> {
        if (key == "strategy") return store(spec.strategy, f.string());
        auto value = option_value(f);
        if (!value) return std::unexpected(value.error());
        spec.options.emplace(std::string(key), std::move(*value));
        return true;
      });
  if (!keys) return std::unexpected(keys.error());
  if (spec.strategy.empty()) {
    return fail_at(source, node.source(),
                   "[" + section + "] has no strategy (e.g. strategy = \"epmd\")");
  }
  return spec;
}

bool before(const toml::source_position& a, const toml::source_position& b) {
  return a.line != b.line ? a.line < b.line : a.column < b.column;
}

// toml++ keeps a table's keys sorted by name; the file order is recovered
// from where each topology's table starts.
Result<std::vector<TopologySpec>> read_topologies(std::string_view source,
                                                  const toml::table& table) {
  std::vector<std::pair<toml::source_position, TopologySpec>> found;
  for (auto&& [key, node] : table) {
    auto spec = read_topology(source, key.str(), node);
    if (!spec) return std::unexpected(spec.error());
    found.emplace_back(node.source().begin, std::move(*spec));
  }
  std::stable_sort(found.begin(), found.end(),
                   [](const auto& a, const auto& b) { return before(a.first, b.first); });
  std::vector<TopologySpec> topologies;
  for (auto& entry : found) topologies.push_back(std::move(entry.second));
  return topologies;
}

Result<void> read_document(std::string_view source, const toml::table& root, NodeConfig& config) {
  for (auto&& [key, node] : root) {
    std::string name(key.str());
    const toml::table* table = node.as_table();
    bool known =
        name == "node" || name == "startup" || name == "reconciler" || name == "topologies";
    if (!known) return fail_at(source, key.source(), "unknown key '" + name + "' at top level");
    if (table == nullptr) {
      return fail_at(source, node.source(),
                     name + " must be a table ([" + name + "]), got " + type_name(node));
    }
    Result<void> read;
    if (name == "node") {
      read = read_node(source, *table, config.node);
    } else if (name == "startup") {
      read = read_startup(source, *table, config.startup);
    } else if (name == "reconciler") {
      read = read_reconciler(source, *table, config.reconciler);
    } else {
      auto topologies = read_topologies(source, *table);
      if (topologies) config.topologies = std::move(*topologies);
      read = topologies ? Result<void>() : std::unexpected(topologies.error());
    }
    if (!read) return read;
  }
  return {};
}

}  // namespace

Result<NodeConfig> parse_config(std::string_view toml_text, std::string_view source) {
  std::string_view name = source.empty() ? "<config>" : source;
  toml::table root;
  try {
    root = toml::parse(toml_text, name);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return fail(Errc::malformed, std::string(name) + ":" + std::to_string(where.line) + ":" +
                                     std::to_string(where.column) + ": " +
                                     std::string(e.description()));
  }
  NodeConfig config;
  config.source = std::string(source);
  auto read = read_document(name, root, config);
  if (!read) return std::unexpected(read.error());
  return config;
}

Result<NodeConfig> load_config_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return fail(Errc::not_found, "no config file " + path);
  if (!S_ISREG(st.st_mode)) {
    return fail(Errc::invalid_argument, "config file " + path + " is not a regular file");
  }
  if (st.st_size > kMaxConfigBytes) {
    return fail(Errc::limit_exceeded,
                "config file " + path + " is over " + std::to_string(kMaxConfigBytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && !in.eof()) return fail(Errc::io, "cannot read config file " + path);
  return parse_config(text, path);
}

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "debug") return LogLevel::debug;
  if (text == "info") return LogLevel::info;
  if (text == "warning") return LogLevel::warning;
  if (text == "error") return LogLevel::error;
  return std::nullopt;
}

std::optional<LogFormat> parse_log_format(std::string_view text) {
  if (text == "text") return LogFormat::text;
  if (text == "json") return LogFormat::json;
  return std::nullopt;
}

std::optional<MailboxPolicy> parse_mailbox_policy(std::string_view text) {
  if (text == "drop") return MailboxPolicy::drop;
  if (text == "kill") return MailboxPolicy::kill;
  return std::nullopt;
}

}  // namespace beamlink::config
