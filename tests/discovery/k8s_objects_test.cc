// The Kubernetes answer parser on fixtures shaped like real API objects
// (tests/discovery/fixtures/k8s/), and on answers that are not.
#include "discovery/k8s_objects.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace beamlink::discovery::k8s {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(BEAMLINK_SOURCE_DIR) + "/tests/discovery/fixtures/k8s/" + name);
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_FALSE(text.str().empty()) << name;
  return text.str();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

PodAddress addr(std::string ip, std::string hostname, bool ready, std::string ns = "prod") {
  return PodAddress{std::move(ip), std::move(hostname), std::move(ns), ready};
}

TEST(K8sObjects, EndpointsListReadyAndNotReadyAddresses) {
  auto list = parse_list(Resource::endpoints, fixture("endpoints_list.json"));
  ASSERT_TRUE(list) << list.error().to_string();
  EXPECT_EQ(list->resource_version, "48213");
  ASSERT_EQ(list->items.size(), 2u);
  EXPECT_EQ(list->items[0].key, "prod/myapp");
  EXPECT_EQ(list->items[0].addresses,
            (std::vector<PodAddress>{addr("10.244.1.17", "myapp-0", true),
                                     addr("10.244.2.9", "myapp-1", true),
                                     addr("10.244.3.4", "myapp-2", false)}));
  EXPECT_EQ(list->items[1].key, "prod/myapp-empty");
  EXPECT_TRUE(list->items[1].addresses.empty());
  EXPECT_TRUE(list->skipped.empty());
}

TEST(K8sObjects, EndpointSliceListConditionsFamiliesAndFqdn) {
  auto list = parse_list(Resource::endpoint_slices, fixture("endpointslice_list.json"));
  ASSERT_TRUE(list) << list.error().to_string();
  EXPECT_EQ(list->resource_version, "51877");
  ASSERT_EQ(list->items.size(), 3u);
  // conditions.ready missing counts as ready, as the API documents.
  EXPECT_EQ(list->items[0].addresses, (std::vector<PodAddress>{addr("10.244.1.17", "myapp-0", true),
                                                               addr("10.244.2.9", "myapp-1", false),
                                                               addr("10.244.3.4", "", true)}));
  EXPECT_EQ(list->items[1].addresses,
            (std::vector<PodAddress>{addr("fd00:10:244:1::11", "myapp-0", true)}));
  EXPECT_TRUE(list->items[2].addresses.empty());
  ASSERT_EQ(list->skipped.size(), 1u);
  EXPECT_NE(list->skipped[0].find("addressType 'FQDN'"), std::string::npos) << list->skipped[0];
}

TEST(K8sObjects, PodListPhaseReadinessAndDeletion) {
  auto list = parse_list(Resource::pods, fixture("pod_list.json"));
  ASSERT_TRUE(list) << list.error().to_string();
  EXPECT_EQ(list->resource_version, "60412");
  ASSERT_EQ(list->items.size(), 5u);
  EXPECT_EQ(list->items[0].addresses,
            (std::vector<PodAddress>{addr("10.244.1.17", "myapp-0", true)}));
  EXPECT_EQ(list->items[1].addresses,
            (std::vector<PodAddress>{addr("10.244.2.9", "myapp-1", false)}));
  EXPECT_TRUE(list->items[2].addresses.empty());  // pending, no IP yet
  EXPECT_TRUE(list->items[3].addresses.empty());  // a finished job pod
  EXPECT_EQ(list->items[4].addresses,             // being deleted: not ready
            (std::vector<PodAddress>{addr("fd00:10:244:3::7", "myapp-3", false)}));
}

TEST(K8sObjects, WatchStreamEvents) {
  auto lines = lines_of(fixture("watch_endpointslices.jsonl"));
  ASSERT_EQ(lines.size(), 5u);
  std::vector<WatchEvent> events;
  for (const auto& line : lines) {
    auto event = parse_watch_event(Resource::endpoint_slices, line);
    ASSERT_TRUE(event) << event.error().to_string();
    events.push_back(*event);
  }
  EXPECT_EQ(events[0].type, WatchType::added);
  EXPECT_EQ(events[0].resource_version, "51880");
  EXPECT_EQ(events[0].object.key, "prod/myapp-7xk2p");
  EXPECT_EQ(events[0].object.addresses.size(), 1u);
  EXPECT_EQ(events[1].type, WatchType::modified);
  EXPECT_EQ(events[1].object.addresses.size(), 2u);
  EXPECT_EQ(events[2].type, WatchType::bookmark);
  EXPECT_EQ(events[2].resource_version, "51950");
  EXPECT_EQ(events[3].type, WatchType::deleted);
  EXPECT_EQ(events[3].object.key, "prod/myapp-7xk2p");
  EXPECT_EQ(events[4].type, WatchType::error);
  EXPECT_EQ(events[4].status.code, 410);
  EXPECT_EQ(events[4].status.reason, "Expired");
}

TEST(K8sObjects, StatusObject) {
  auto status = parse_status(fixture("status_forbidden.json"));
  ASSERT_TRUE(status) << status.error().to_string();
  EXPECT_EQ(status->code, 403);
  EXPECT_EQ(status->reason, "Forbidden");
  EXPECT_NE(status->message.find("cannot list resource"), std::string::npos);
  EXPECT_FALSE(parse_status(R"({"kind":"PodList"})"));
}

TEST(K8sObjects, RefusesWhatIsNotTheExpectedList) {
  auto expect_malformed = [](Resource r, std::string_view text, std::string_view needle) {
    auto list = parse_list(r, text);
    ASSERT_FALSE(list) << text;
    EXPECT_EQ(list.error().code, Errc::malformed);
    EXPECT_NE(list.error().message.find(needle), std::string::npos) << list.error().message;
  };
  expect_malformed(Resource::endpoints, "<html>502 Bad Gateway</html>", "not valid JSON");
  expect_malformed(Resource::endpoints, "[1,2]", "not a JSON object");
  expect_malformed(Resource::endpoints, fixture("pod_list.json"), "a PodList");
  expect_malformed(Resource::pods, R"({"kind":"PodList","apiVersion":"v2","items":[]})",
                   "apiVersion v2");
  expect_malformed(Resource::pods, R"({"kind":"PodList","apiVersion":"v1","items":{}})",
                   "items is not a list");
  expect_malformed(Resource::pods, R"({"kind":"PodList","apiVersion":"v1","items":[7]})",
                   "item 0: not an object");
  expect_malformed(Resource::endpoints,
                   R"({"kind":"EndpointsList","apiVersion":"v1","items":[{"metadata":{}}]})",
                   "no metadata.name");
  expect_malformed(
      Resource::endpoints,
      R"({"kind":"EndpointsList","apiVersion":"v1","items":[{"metadata":{"name":"a"},"subsets":3}]})",
      "subsets is not a list");
  std::string deep =
      R"({"kind":"EndpointsList","x":)" + std::string(100, '[') + std::string(100, ']') + "}";
  expect_malformed(Resource::endpoints, deep, "nested deeper");
  expect_malformed(Resource::endpoints, "", "not valid JSON");
}

TEST(K8sObjects, SkipsBadAddressesButKeepsTheRest) {
  auto list = parse_list(Resource::endpoints, R"({"kind":"EndpointsList","apiVersion":"v1",
    "metadata":{"resourceVersion":"9"},"items":[{"metadata":{"name":"a","namespace":"n"},
    "subsets":[{"addresses":[{"ip":"10.0.0.1"},{"ip":"10.0.0.999"},{"ip":"x@y"},{"nope":1},
    {"ip":"::1"}]}]}]})");
  ASSERT_TRUE(list) << list.error().to_string();
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].addresses,
            (std::vector<PodAddress>{addr("10.0.0.1", "", true, "n"), addr("::1", "", true, "n")}));
  EXPECT_EQ(list->skipped.size(), 3u);
}

TEST(K8sObjects, EmptyListsAndNullItems) {
  auto list = parse_list(Resource::pods,
                         R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"5"},
                             "items":null})");
  ASSERT_TRUE(list);
  EXPECT_TRUE(list->items.empty());
  EXPECT_EQ(list->resource_version, "5");
}

TEST(K8sObjects, RefusesBadWatchLines) {
  EXPECT_FALSE(parse_watch_event(Resource::pods, R"({"type":"EXPLODED","object":{}})"));
  EXPECT_FALSE(parse_watch_event(Resource::pods, R"({"type":"ADDED"})"));
  EXPECT_FALSE(parse_watch_event(
      Resource::pods, R"({"type":"ADDED","object":{"kind":"Endpoints","metadata":{"name":"a"}}})"));
  EXPECT_FALSE(parse_watch_event(Resource::pods, "{\"type\":\"ADDED\",\"object\":{"));
}

TEST(K8sObjects, NamesOfResources) {
  EXPECT_EQ(resource_name(Resource::endpoint_slices), "endpointslices");
  EXPECT_EQ(api_group(Resource::endpoint_slices), "discovery.k8s.io");
  EXPECT_EQ(api_group(Resource::pods), "");
}

}  // namespace
}  // namespace beamlink::discovery::k8s
