// fake_kube_api.h - a stand-in Kubernetes API server for tests: HTTPS on
// 127.0.0.1 with a test CA, bearer-token checks (401 Status), resources a
// test marks forbidden (403 Status, worded like the real one), lists of
// endpoints, endpointslices (discovery.k8s.io/v1) and pods filtered by
// namespace and label selector, watch streams (chunked, one event a line,
// bookmarks, 410 Expired after compact()), and the discovery documents and
// /version kubectl reads first. Objects come from fake_kube_model.h.
//
// One thread runs the server; every public member is safe to call from
// the test's thread. The destructor stops it and closes every connection.
#pragma once

#include <atomic>
#include <cstdint>
#include <expected>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "integration/support/fake_kube_model.h"

namespace beamlink::testing {

// A CA and a server certificate (SAN IP:127.0.0.1, DNS:localhost) made
// with the openssl command in `dir`.
struct TestCertificates {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
};
std::expected<TestCertificates, std::string> make_test_certificates(const std::string& dir);

class FakeKubeApi {
 public:
  // Listens on 127.0.0.1:`port` (0: any free port).
  static std::expected<std::unique_ptr<FakeKubeApi>, std::string> start(
      const TestCertificates& certificates, std::string token, uint16_t port = 0);
  ~FakeKubeApi();

  uint16_t port() const;
  std::string url() const;  // "https://127.0.0.1:<port>"

  void set_token(std::string token);
  void put_service(const FakeService& service);
  void put_pod(const FakePod& pod);
  void remove_pod(const std::string& ns, const std::string& name);
  void compact();
  // "endpoints", "endpointslices", "pods": answered 403 while forbidden.
  void forbid(const std::string& resource, bool forbidden = true);

  // "GET /api/v1/...?..." for every request so far, in order.
  std::vector<std::string> requests() const;
  size_t count_requests(std::string_view containing) const;
  size_t open_watches() const;

  void stop();

  class Impl;

 private:
  explicit FakeKubeApi(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace beamlink::testing
