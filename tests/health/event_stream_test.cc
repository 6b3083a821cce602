// The cluster page's side of the health server: the page and /cluster
// only when cluster_json is set, and /events streams with their bounds
// (count, queue, heartbeat, stop).
#include "health/event_stream.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "beamlink/health.h"
#include "health/stream_client.h"

namespace beamlink {
namespace {

using namespace std::chrono_literals;
using testing::Client;

const std::string kEvents = "GET /events HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kStreamOpen = ": beamlink events\n\n";

std::unique_ptr<HealthServer> start_server(std::chrono::milliseconds heartbeat = 5000ms) {
  HealthOptions options;
  options.cluster_json = [] { return std::string("{\"node\":\"a@h\",\"nodes\":[]}"); };
  options.event_heartbeat = heartbeat;
  auto server = HealthServer::start(options);
  EXPECT_TRUE(server) << server.error().message;
  return server ? std::move(*server) : nullptr;
}

TEST(ClusterPage, ServedOnlyWhenClusterJsonIsSet) {
  auto bare = HealthServer::start(HealthOptions{});
  ASSERT_TRUE(bare);
  for (const char* path : {"/", "/page.js", "/cluster", "/events"}) {
    Client client((*bare)->port(), std::string("GET ") + path + " HTTP/1.1\r\n\r\n");
    ASSERT_TRUE(client.read_to_eof()) << path;
    EXPECT_TRUE(client.received().starts_with("HTTP/1.1 404 ")) << path;
  }
  auto server = start_server();
  Client page(server->port(), "GET / HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(page.read_to_eof());
  EXPECT_TRUE(page.received().starts_with("HTTP/1.1 200 OK\r\n")) << page.received();
  EXPECT_NE(page.received().find("text/html"), std::string::npos);
  EXPECT_NE(page.received().find("<!doctype html>"), std::string::npos);
  Client cluster(server->port(), "GET /cluster HTTP/1.1\r\n\r\n");
  ASSERT_TRUE(cluster.read_to_eof());
  EXPECT_TRUE(cluster.received().ends_with("\r\n\r\n{\"node\":\"a@h\",\"nodes\":[]}\n"));
}

TEST(ClusterPage, PublishedEventsReachEveryOpenStream) {
  auto server = start_server();
  Client first(server->port(), kEvents);
  Client second(server->port(), kEvents);
  ASSERT_TRUE(first.read_until(kStreamOpen));
  ASSERT_TRUE(second.read_until(kStreamOpen));
  EXPECT_TRUE(
      first.received().starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"));
  server->publish_event("nodeup", "{\"node\":\"b@h\"}");
  server->publish_event("nodedown", "{\"node\":\"b@h\"}");
  const std::string both =
      "event: nodeup\ndata: {\"node\":\"b@h\"}\n\nevent: nodedown\ndata: {\"node\":\"b@h\"}\n\n";
  EXPECT_TRUE(first.read_until(both)) << first.received();
  EXPECT_TRUE(second.read_until(both)) << second.received();
}

TEST(ClusterPage, AQuietStreamGetsHeartbeats) {
  auto server = start_server(20ms);
  Client client(server->port(), kEvents);
  ASSERT_TRUE(client.read_until(kStreamOpen));
  EXPECT_TRUE(client.read_until(": heartbeat\n\n"));
  EXPECT_TRUE(client.read_until(": heartbeat\n\n"));
}

TEST(ClusterPage, StreamsAreBoundedInNumberAndAClosedOneFreesItsPlace) {
  auto server = start_server();
  std::vector<std::unique_ptr<Client>> open;
  for (size_t i = 0; i < kMaxEventStreams; ++i) {
    open.push_back(std::make_unique<Client>(server->port(), kEvents));
    ASSERT_TRUE(open.back()->read_until(kStreamOpen)) << i;
  }
  Client refused(server->port(), kEvents);
  ASSERT_TRUE(refused.read_to_eof());
  EXPECT_TRUE(refused.received().starts_with("HTTP/1.1 503 ")) << refused.received();
  open.pop_back();  // its close ends its stream on the server
  bool admitted = false;
  for (int attempt = 0; attempt < 200 && !admitted; ++attempt) {
    Client again(server->port(), kEvents);
    admitted = again.read_until(kStreamOpen, 5s);
  }
  EXPECT_TRUE(admitted);
}

TEST(ClusterPage, AClientThatDoesNotReadIsDroppedNotBuffered) {
  auto server = start_server();
  Client slow(server->port(), kEvents, 4096);
  ASSERT_TRUE(slow.read_until(kStreamOpen));
  const std::string data(8192, 'x');
  const size_t published = 2000;  // 16 MiB: far past socket buffers and the queue bound
  for (size_t i = 0; i < published; ++i) server->publish_event("big", data);
  ASSERT_TRUE(slow.read_to_eof(30s));
  EXPECT_LT(slow.received_bytes(), published * data.size());
}

TEST(ClusterPage, StopEndsOpenStreams) {
  auto server = start_server();
  Client client(server->port(), kEvents);
  ASSERT_TRUE(client.read_until(kStreamOpen));
  server->stop();
  EXPECT_TRUE(client.read_to_eof());
  server->publish_event("nodeup", "{}");  // after stop: ignored, no crash
}

}  // namespace
}  // namespace beamlink
