// pod_network.h - network namespaces standing in for Kubernetes pods.
//
// A PodNetwork is a "hub" namespace with a bridge holding 198.18.0.1/16
// (where a test's stand-in API server or DNS server listens) and one
// namespace per pod, joined to the bridge by a veth pair whose pod end is
// eth0 with 198.18.0.<10+i>/16. The addresses come from 198.18.0.0/15
// (RFC 2544, reserved for network tests) and never leave the namespaces the
// test created, so parallel runs may use the same ones: each run's network
// is its own. Both veth ends are created directly in their namespaces, and
// namespace names carry the test's pid.
//
// Everything is undone on destruction, failure included: `ip netns delete`
// and /etc/netns/<name>/ removed. Stop the processes running in a namespace
// first; the kernel keeps a namespace until the last one has exited.
// Creating one needs root and iproute2; without them create() fails with
// ip's message (a test then fails, it never skips). Not thread-safe, except
// NetNs::run(), which may be called from any thread.
#pragma once

#include <cstddef>
#include <expected>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace beamlink::testing {

class NetNs {
 public:
  // `ip netns add name`, loopback up. A stale namespace of that name (a
  // killed run whose pid came round again) is deleted first.
  static std::expected<std::unique_ptr<NetNs>, std::string> create(std::string name);
  NetNs(const NetNs&) = delete;
  NetNs& operator=(const NetNs&) = delete;
  ~NetNs();

  const std::string& name() const { return name_; }
  // `ip -n NAME args...`; an error carries the command and ip's message.
  std::expected<void, std::string> ip(const std::vector<std::string>& args) const;
  // {"ip", "netns", "exec", NAME, argv...}: ip bind-mounts the files of
  // /etc/netns/NAME/ over /etc/ for the command it runs.
  std::vector<std::string> exec(const std::vector<std::string>& argv) const;
  // Writes /etc/netns/NAME/`file` ("hosts", "resolv.conf") for exec().
  std::expected<void, std::string> write_etc(const std::string& file,
                                             const std::string& text) const;
  // Runs `fn` on a new thread that has joined this namespace and waits for
  // it. Sockets `fn` opens, and threads and processes it starts, belong to
  // the namespace for the rest of their lives.
  std::expected<void, std::string> run(const std::function<void()>& fn) const;

 private:
  explicit NetNs(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

class PodNetwork {
 public:
  static constexpr const char* kHubAddress = "198.18.0.1";

  // The hub and `pods` pods, named bp<pid>n<k>h and bp<pid>n<k>p<i>.
  static std::expected<std::unique_ptr<PodNetwork>, std::string> create(size_t pods);
  PodNetwork(const PodNetwork&) = delete;
  PodNetwork& operator=(const PodNetwork&) = delete;
  ~PodNetwork();  // the pods, then the hub

  const NetNs& hub() const { return *hub_; }
  size_t size() const { return pods_.size(); }
  // nullptr once removed.
  const NetNs* pod(size_t i) const { return pods_.at(i).get(); }
  // "198.18.0.<10+i>"
  static std::string pod_address(size_t i);
  // Deletes the pod's namespace; its veth pair goes with it.
  void remove_pod(size_t i);

 private:
  PodNetwork() = default;
  std::expected<void, std::string> add_pod(const std::string& prefix, size_t i);

  std::unique_ptr<NetNs> hub_;
  std::vector<std::unique_ptr<NetNs>> pods_;
};

}  // namespace beamlink::testing
