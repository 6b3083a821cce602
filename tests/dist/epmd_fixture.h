// epmd_fixture.h - a gtest fixture for tests that start real distribution
// layers: an in-process EPMD daemon on 127.0.0.1 with an ephemeral port,
// started before each test and stopped after it, and the DistOptions every
// such test begins from (loopback listen address, that EPMD's port).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "beamlink/epmd.h"
#include "dist/distribution.h"
#include "epmd/loopback_epmd.h"

namespace beamlink::dist::testing {

class LoopbackEpmdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto epmd = beamlink::testing::start_loopback_epmd();
    ASSERT_TRUE(epmd) << epmd.error().to_string();
    epmd_ = std::move(*epmd);
  }

  // A node named `node_name` (full name@host) listening on 127.0.0.1 and
  // registering with this test's EPMD.
  DistOptions loopback_options(const std::string& node_name, const std::string& cookie) const {
    DistOptions o;
    o.node_name = node_name;
    o.cookie = cookie;
    o.listen_address = "127.0.0.1";
    o.epmd_port = epmd_->port();
    return o;
  }

  // Starts a distribution layer; a failure fails the test and gives null.
  static std::unique_ptr<Distribution> start_distribution(const DistOptions& o, DistSink& sink) {
    auto started = Distribution::start(o, sink);
    EXPECT_TRUE(started) << started.error().to_string();
    return started ? std::move(*started) : nullptr;
  }

  uint16_t epmd_port() const { return epmd_->port(); }

  std::unique_ptr<epmd::Server> epmd_;
};

}  // namespace beamlink::dist::testing
