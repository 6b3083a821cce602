// Pod node names (config/pod_name.h) and name_mode through the file and
// the environment, the way a pod's downward API sets it.
#include "config/pod_name.h"

#include <gtest/gtest.h>

#include <map>

#include "config/node_config.h"

namespace beamlink::config {
namespace {

TEST(PodName, TheThreeForms) {
  PodIdentity pod{"10.1.2.3", "worker-0", "prod", "worker-headless", "cluster.local"};
  EXPECT_EQ(pod_host(PodNameMode::ip, pod), "10.1.2.3");
  EXPECT_EQ(pod_host(PodNameMode::dns, pod), "10-1-2-3.prod.pod.cluster.local");
  EXPECT_EQ(pod_host(PodNameMode::hostname, pod),
            "worker-0.worker-headless.prod.svc.cluster.local");
  pod.domain = "k8s.example.org";
  EXPECT_EQ(pod_host(PodNameMode::dns, pod), "10-1-2-3.prod.pod.k8s.example.org");
}

TEST(PodName, Ipv6) {
  PodIdentity pod{"fd00:10:244::7", "w", "ns", "svc", "cluster.local"};
  EXPECT_EQ(pod_host(PodNameMode::ip, pod), "fd00:10:244::7");
  EXPECT_EQ(pod_host(PodNameMode::dns, pod), "fd00-10-244--7.ns.pod.cluster.local");
  EXPECT_EQ(dashed_ip("10.0.0.1"), "10-0-0-1");
}

TEST(PodName, MissingOrBadInputsAreClearErrors) {
  PodIdentity empty;
  auto ip = pod_host(PodNameMode::ip, empty);
  ASSERT_FALSE(ip);
  EXPECT_NE(ip.error().message.find("POD_IP"), std::string::npos);
  auto dns = pod_host(PodNameMode::dns, PodIdentity{"10.0.0.1", "", "", "", "cluster.local"});
  ASSERT_FALSE(dns);
  EXPECT_NE(dns.error().message.find("NAMESPACE"), std::string::npos);
  auto host = pod_host(PodNameMode::hostname, PodIdentity{"", "w-0", "ns", "", "cluster.local"});
  ASSERT_FALSE(host);
  EXPECT_NE(host.error().message.find("service"), std::string::npos);
  EXPECT_FALSE(pod_host(PodNameMode::ip, PodIdentity{"10.0.0.999", "", "", "", "cluster.local"}));
  EXPECT_FALSE(
      pod_host(PodNameMode::dns, PodIdentity{"10.0.0.1", "", "Bad_NS", "", "cluster.local"}));
  EXPECT_FALSE(pod_host(PodNameMode::ip, PodIdentity{"10.0.0.1", "", "", "", "bad..domain"}));
  EXPECT_FALSE(parse_pod_name_mode("fqdn"));
}

class PodNameConfigTest : public ::testing::Test {
 protected:
  Result<NodeConfig> load(std::string_view toml) {
    auto config = parse_config(toml, "pod.toml");
    if (!config) return config;
    auto applied =
        apply_env(*config, [this](const std::string& name) -> std::optional<std::string> {
          auto it = vars_.find(name);
          if (it == vars_.end()) return std::nullopt;
          return it->second;
        });
    if (!applied) return std::unexpected(applied.error());
    return config;
  }
  std::map<std::string, std::string> vars_ = {
      {"POD_IP", "10.244.1.7"}, {"NAMESPACE", "shop"}, {"HOSTNAME", "orders-2"}};
};

TEST_F(PodNameConfigTest, FileNameModeWithDownwardApiEnvironment) {
  auto ip = load("[node]\nname_mode = \"ip\"\nbasename = \"orders\"\n");
  ASSERT_TRUE(ip) << ip.error().message;
  EXPECT_EQ(ip->node.name, "orders@10.244.1.7");
  auto dns = load("[node]\nname_mode = \"dns\"\nbasename = \"orders\"\n");
  ASSERT_TRUE(dns) << dns.error().message;
  EXPECT_EQ(dns->node.name, "orders@10-244-1-7.shop.pod.cluster.local");
  auto hostname = load(
      "[node]\nname_mode = \"hostname\"\nbasename = \"orders\"\nservice_name = "
      "\"orders-headless\"\n");
  ASSERT_TRUE(hostname) << hostname.error().message;
  EXPECT_EQ(hostname->node.name, "orders@orders-2.orders-headless.shop.svc.cluster.local");
}

TEST_F(PodNameConfigTest, EnvironmentSetsTheModeAndExplicitNamesWin) {
  vars_["BEAMLINK_NAME_MODE"] = "dns";
  vars_["BEAMLINK_BASENAME"] = "app";
  vars_["CLUSTER_DOMAIN"] = "corp.internal";
  auto from_env = load("[node]\nname = \"file@h\"\n");  // the environment wins over the file
  ASSERT_TRUE(from_env) << from_env.error().message;
  EXPECT_EQ(from_env->node.name, "app@10-244-1-7.shop.pod.corp.internal");
  vars_["RELEASE_NODE"] = "explicit@host";
  auto explicit_name = load("");
  ASSERT_TRUE(explicit_name);
  EXPECT_EQ(explicit_name->node.name, "explicit@host");
}

TEST_F(PodNameConfigTest, ConflictsAndMissingPiecesAreErrors) {
  auto both = load("[node]\nname = \"a@h\"\nname_mode = \"ip\"\nbasename = \"a\"\n");
  ASSERT_FALSE(both);
  EXPECT_NE(both.error().message.find("exclude each other"), std::string::npos);
  auto no_base = load("[node]\nname_mode = \"ip\"\n");
  ASSERT_FALSE(no_base);
  EXPECT_NE(no_base.error().message.find("basename"), std::string::npos);
  auto bad_mode = load("[node]\nname_mode = \"fqdn\"\nbasename = \"a\"\n");
  ASSERT_FALSE(bad_mode);
  EXPECT_NE(bad_mode.error().message.find("ip, dns or hostname"), std::string::npos);
  vars_.erase("POD_IP");
  auto no_ip = load("[node]\nname_mode = \"ip\"\nbasename = \"a\"\n");
  ASSERT_FALSE(no_ip);
  EXPECT_NE(no_ip.error().message.find("POD_IP"), std::string::npos);
  vars_["POD_NAMESPACE"] = "alt";
  vars_.erase("NAMESPACE");
  vars_["POD_IP"] = "10.0.0.9";
  auto pod_namespace = load("[node]\nname_mode = \"dns\"\nbasename = \"a\"\n");
  ASSERT_TRUE(pod_namespace) << pod_namespace.error().message;
  EXPECT_EQ(pod_namespace->node.name, "a@10-0-0-9.alt.pod.cluster.local");
}

}  // namespace
}  // namespace beamlink::config
