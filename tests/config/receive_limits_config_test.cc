// node.max_message_size and node.reassembly_budget: byte sizes in the TOML
// file (integers or "256MiB") and the environment (BEAMLINK_MAX_MESSAGE_SIZE,
// BEAMLINK_REASSEMBLY_BUDGET), with their bounds and errors.
#include <gtest/gtest.h>

#include "config/node_config.h"
#include "config/value_parsers.h"

namespace beamlink::config {
namespace {

constexpr uint64_t kMiB = 1u << 20;

TEST(ByteSizeTest, IntegersAndBinaryUnits) {
  EXPECT_EQ(parse_byte_size("65536", 0, UINT64_MAX), 65536u);
  EXPECT_EQ(parse_byte_size("64KiB", 0, UINT64_MAX), 65536u);
  EXPECT_EQ(parse_byte_size("64K", 0, UINT64_MAX), 65536u);
  EXPECT_EQ(parse_byte_size("256MiB", 0, UINT64_MAX), 256 * kMiB);
  EXPECT_EQ(parse_byte_size("2G", 0, UINT64_MAX), 2048 * kMiB);
  EXPECT_EQ(parse_byte_size("1TiB", 0, UINT64_MAX), uint64_t{1} << 40);
  for (const char* bad : {"", "MiB", "1.5GiB", "-1", "1 MiB", "1mb", "1GB", "99999999999T"}) {
    EXPECT_EQ(parse_byte_size(bad, 0, UINT64_MAX), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_byte_size("1K", 2048, 4096), std::nullopt);
  EXPECT_EQ(parse_byte_size("8K", 2048, 4096), std::nullopt);
}

TEST(ReceiveLimitsConfigTest, TomlTakesIntegersAndSizes) {
  auto r = parse_config("[node]\nmax_message_size = \"2GiB\"\nreassembly_budget = 536870912\n",
                        "t.toml");
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(r->node.max_message_size, 2048 * kMiB);
  EXPECT_EQ(r->node.reassembly_budget, 512 * kMiB);
  EXPECT_FALSE(parse_config("", "t.toml")->node.max_message_size);  // default: NodeOptions'
}

TEST(ReceiveLimitsConfigTest, TomlErrorsNameTheKeyAndTheBounds) {
  auto small = parse_config("[node]\nmax_message_size = 1000\n", "t.toml");
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().message,
            "t.toml:2:20: node.max_message_size must be a size in bytes 65536..1099511627776 "
            "(integer, or a string like \"256MiB\"), got 1000");
  auto unit = parse_config("[node]\nreassembly_budget = \"1GB\"\n", "t.toml");
  ASSERT_FALSE(unit);
  EXPECT_EQ(unit.error().message,
            "t.toml:2:21: node.reassembly_budget must be a size in bytes 65536..1099511627776 "
            "(integer, or a string like \"256MiB\"), got \"1GB\"");
}

TEST(ReceiveLimitsConfigTest, TheEnvironmentOverridesTheFile) {
  auto config = parse_config("[node]\nmax_message_size = \"1GiB\"\n", "t.toml");
  ASSERT_TRUE(config);
  const std::map<std::string, std::string> vars = {{"BEAMLINK_MAX_MESSAGE_SIZE", "512MiB"},
                                                   {"BEAMLINK_REASSEMBLY_BUDGET", "3221225472"}};
  const EnvLookup env = [&](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional(it->second);
  };
  ASSERT_TRUE(apply_env(*config, env));
  EXPECT_EQ(config->node.max_message_size, 512 * kMiB);
  EXPECT_EQ(config->node.reassembly_budget, 3072 * kMiB);

  const EnvLookup bad = [](const std::string& name) -> std::optional<std::string> {
    if (name == "BEAMLINK_MAX_MESSAGE_SIZE") return "lots";
    return std::nullopt;
  };
  auto refused = apply_env(*config, bad);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message,
            "BEAMLINK_MAX_MESSAGE_SIZE must be a size in bytes 65536..1099511627776 (like "
            "1073741824 or 1GiB), got 'lots'");
}

}  // namespace
}  // namespace beamlink::config
