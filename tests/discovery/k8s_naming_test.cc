// Node names in libcluster's three Kubernetes modes.
#include "discovery/k8s_naming.h"

#include <gtest/gtest.h>

namespace beamlink::discovery::k8s {
namespace {

NameParts parts(std::string_view ip, std::string_view hostname = "myapp-0") {
  return NameParts{.basename = "myapp",
                   .ip = ip,
                   .hostname = hostname,
                   .ns = "prod",
                   .service = "myapp-headless",
                   .domain = "cluster.local"};
}

TEST(K8sNaming, IpMode) {
  EXPECT_EQ(node_name(NamingMode::ip, parts("10.1.2.3")), "myapp@10.1.2.3");
  EXPECT_EQ(node_name(NamingMode::ip, parts("fd00::1")), "myapp@fd00::1");
  EXPECT_FALSE(node_name(NamingMode::ip, parts("10.1.2")));
  EXPECT_FALSE(node_name(NamingMode::ip, parts("evil@host")));
}

TEST(K8sNaming, DnsModeIsThePodARecord) {
  EXPECT_EQ(node_name(NamingMode::dns, parts("10.1.2.3")), "myapp@10-1-2-3.prod.pod.cluster.local");
  EXPECT_EQ(node_name(NamingMode::dns, parts("FD00:10::1")),
            "myapp@fd00-10--1.prod.pod.cluster.local");
  auto p = parts("10.1.2.3");
  p.domain = "k8s.example.org";
  EXPECT_EQ(node_name(NamingMode::dns, p), "myapp@10-1-2-3.prod.pod.k8s.example.org");
  p.ns = "Prod_1";
  EXPECT_FALSE(node_name(NamingMode::dns, p));
}

TEST(K8sNaming, HostnameModeIsTheStatefulSetName) {
  EXPECT_EQ(node_name(NamingMode::hostname, parts("10.1.2.3")),
            "myapp@myapp-0.myapp-headless.prod.svc.cluster.local");
  auto missing = node_name(NamingMode::hostname, parts("10.1.2.3", ""));
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("no hostname"), std::string::npos);
  auto p = parts("10.1.2.3");
  p.service = "";
  auto no_service = node_name(NamingMode::hostname, p);
  ASSERT_FALSE(no_service);
  EXPECT_NE(no_service.error().message.find("no service name"), std::string::npos);
  EXPECT_FALSE(node_name(NamingMode::hostname, parts("10.1.2.3", "a.b")));
}

TEST(K8sNaming, BasenameIsChecked) {
  auto p = parts("10.1.2.3");
  p.basename = "";
  EXPECT_FALSE(node_name(NamingMode::ip, p));
  p.basename = "a@b";
  EXPECT_FALSE(node_name(NamingMode::ip, p));
}

TEST(K8sNaming, LabelsDomainsAndModes) {
  EXPECT_TRUE(is_dns_label("myapp-0"));
  EXPECT_FALSE(is_dns_label("-a"));
  EXPECT_FALSE(is_dns_label("a-"));
  EXPECT_FALSE(is_dns_label(std::string(64, 'a')));
  EXPECT_TRUE(is_dns_domain("cluster.local"));
  EXPECT_FALSE(is_dns_domain("cluster..local"));
  EXPECT_FALSE(is_dns_domain("cluster.local."));
  EXPECT_EQ(ip_label("10.0.0.1"), "10-0-0-1");
  EXPECT_EQ(naming_mode("dns"), NamingMode::dns);
  EXPECT_EQ(naming_mode("DNS"), std::nullopt);
  EXPECT_EQ(naming_mode_name(NamingMode::hostname), "hostname");
}

}  // namespace
}  // namespace beamlink::discovery::k8s
