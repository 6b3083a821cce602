// The cluster page's data as beamlink::Service wires it: /cluster from the
// node's metrics, and the node's nodeup/nodedown on /events, with a second
// node (no EPMD, loopback) connecting and leaving.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "beamlink/service.h"
#include "health/stream_client.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::Client;

TEST(ServiceClusterPage, NodeEventsReachTheEventStreamAndPeersTheClusterJson) {
  const std::string pid = std::to_string(::getpid());
  ServiceOptions options;
  options.env = [name = "svc_page_a" + pid +
                        "@127.0.0.1"](const std::string& key) -> std::optional<std::string> {
    if (key == "BEAMLINK_NODE") return name;
    if (key == "BEAMLINK_COOKIE") return "service_page_test";
    if (key == "BEAMLINK_EPMD") return "false";
    return std::nullopt;
  };
  options.stop_signals = false;
  options.log_output = [](std::string_view) {};
  options.overrides.health_port = 0;
  auto service = Service::start(std::move(options));
  ASSERT_TRUE(service) << service.error().to_string();
  const uint16_t health = (*service)->health_port();

  Client events(health, "GET /events HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(events.read_until(": beamlink events\n\n"));

  NodeOptions peer_options;
  peer_options.name = "svc_page_b" + pid + "@127.0.0.1";
  peer_options.cookie = "service_page_test";
  peer_options.listen_address = "127.0.0.1";
  peer_options.use_epmd = false;
  peer_options.peer_port = (*service)->node().listen_port();
  auto peer = Node::start(std::move(peer_options));
  ASSERT_TRUE(peer) << peer.error().to_string();
  ASSERT_TRUE((*peer)->connect((*service)->node().name()));
  const std::string b = (*peer)->name();
  EXPECT_TRUE(events.read_until("event: nodeup\ndata: {\"node\":\"" + b + "\",\"hidden\":false"))
      << events.received();

  Client cluster(health, "GET /cluster HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(cluster.read_to_eof());
  const std::string& reply = cluster.received();
  auto json = nlohmann::json::parse(reply.substr(reply.find("\r\n\r\n") + 4));
  EXPECT_EQ(json["node"], (*service)->node().name());
  ASSERT_EQ(json["nodes"].size(), 1u) << json.dump();
  EXPECT_EQ(json["nodes"][0]["name"], b);
  EXPECT_EQ(json["nodes"][0]["connected"], true);
  EXPECT_EQ(json["dist"]["connects_incoming"], 1);

  (*peer)->stop();
  EXPECT_TRUE(events.read_until("event: nodedown\ndata: {\"node\":\"" + b + "\""))
      << events.received();
  (*service)->stop();
  EXPECT_TRUE(events.read_to_eof());  // stop() ends the stream
}

}  // namespace
}  // namespace beamlink
