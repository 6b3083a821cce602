#include "integration/support/pod_network.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "integration/support/cluster_support.h"
#include "integration/support/subprocess.h"

namespace beamlink::testing {
namespace {

using namespace std::chrono_literals;

ProcessResult run_ip(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"ip"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_process(argv, "", 10s);
}

std::string etc_dir(const std::string& ns) {
  return "/etc/netns/" + ns;
}

}  // namespace

std::expected<std::unique_ptr<NetNs>, std::string> NetNs::create(std::string name) {
  if (std::filesystem::exists("/var/run/netns/" + name)) run_ip({"netns", "delete", name});
  auto added = run_ip({"netns", "add", name});
  if (added.exit_code != 0) {
    return std::unexpected("ip netns add " + name +
                           " failed (this test needs root and iproute2): " + added.err + added.out);
  }
  std::unique_ptr<NetNs> ns(new NetNs(std::move(name)));
  if (auto up = ns->ip({"link", "set", "lo", "up"}); !up) return std::unexpected(up.error());
  return ns;
}

NetNs::~NetNs() {
  auto deleted = run_ip({"netns", "delete", name_});
  if (deleted.exit_code != 0) std::cerr << "ip netns delete " << name_ << ": " << deleted.err;
  std::error_code ignored;
  std::filesystem::remove_all(etc_dir(name_), ignored);
  ::rmdir("/etc/netns");  // only when no other namespace has files there
}

std::expected<void, std::string> NetNs::ip(const std::vector<std::string>& args) const {
  std::vector<std::string> full = {"-n", name_};
  full.insert(full.end(), args.begin(), args.end());
  auto result = run_ip(full);
  if (result.exit_code != 0) {
    return std::unexpected("ip " + join(full, " ") + ": " + result.err + result.out);
  }
  return {};
}

std::vector<std::string> NetNs::exec(const std::vector<std::string>& argv) const {
  std::vector<std::string> full = {"ip", "netns", "exec", name_};
  full.insert(full.end(), argv.begin(), argv.end());
  return full;
}

std::expected<void, std::string> NetNs::write_etc(const std::string& file,
                                                  const std::string& text) const {
  // Another run's destructor may remove an empty /etc/netns under our feet.
  std::error_code ec;
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::filesystem::create_directories(etc_dir(name_), ec);
    std::ofstream out(etc_dir(name_) + "/" + file, std::ios::trunc);
    out << text;
    out.close();
    if (out) return {};
  }
  return std::unexpected("cannot write " + etc_dir(name_) + "/" + file +
                         (ec ? ": " + ec.message() : ""));
}

std::expected<void, std::string> NetNs::run(const std::function<void()>& fn) const {
  const std::string path = "/var/run/netns/" + name_;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected("open " + path + ": " + std::strerror(errno));
  std::string error;
  // setns() moves only the calling thread, so a fresh one joins and runs fn.
  std::thread joined([&] {
    if (::setns(fd, CLONE_NEWNET) != 0) {
      error = "setns " + path + ": " + std::strerror(errno);
      return;
    }
    fn();
  });
  joined.join();
  ::close(fd);
  if (!error.empty()) return std::unexpected(error);
  return {};
}

std::expected<std::unique_ptr<PodNetwork>, std::string> PodNetwork::create(size_t pods) {
  static std::atomic<int> counter{0};
  const std::string prefix = "bp" + std::to_string(::getpid()) + "n" + std::to_string(counter++);
  std::unique_ptr<PodNetwork> network(new PodNetwork());
  auto hub = NetNs::create(prefix + "h");
  if (!hub) return std::unexpected(hub.error());
  network->hub_ = std::move(*hub);
  for (const auto& step : std::vector<std::vector<std::string>>{
           // A fixed MAC: a bridge otherwise takes its lowest port's, which
           // changes when a pod goes and leaves the pods' ARP entries stale.
           {"link", "add", "br0", "address", "02:00:c6:12:00:01", "type", "bridge"},
           {"addr", "add", std::string(kHubAddress) + "/16", "dev", "br0"},
           {"link", "set", "br0", "up"}}) {
    if (auto done = network->hub_->ip(step); !done) return std::unexpected(done.error());
  }
  for (size_t i = 0; i < pods; ++i) {
    if (auto added = network->add_pod(prefix, i); !added) return std::unexpected(added.error());
  }
  return network;
}

std::expected<void, std::string> PodNetwork::add_pod(const std::string& prefix, size_t i) {
  auto pod = NetNs::create(prefix + "p" + std::to_string(i));
  if (!pod) return std::unexpected(pod.error());
  pods_.push_back(std::move(*pod));
  const NetNs& ns = *pods_.back();
  const std::string veth = "v" + std::to_string(i);
  if (auto done = hub_->ip(
          {"link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns.name()});
      !done) {
    return done;
  }
  for (const auto& step : std::vector<std::vector<std::string>>{
           {"link", "set", veth, "master", "br0"}, {"link", "set", veth, "up"}}) {
    if (auto done = hub_->ip(step); !done) return done;
  }
  for (const auto& step : std::vector<std::vector<std::string>>{
           {"addr", "add", pod_address(i) + "/16", "dev", "eth0"}, {"link", "set", "eth0", "up"}}) {
    if (auto done = ns.ip(step); !done) return done;
  }
  return {};
}

PodNetwork::~PodNetwork() {
  pods_.clear();
  hub_.reset();
}

std::string PodNetwork::pod_address(size_t i) {
  return "198.18.0." + std::to_string(10 + i);
}

void PodNetwork::remove_pod(size_t i) {
  pods_.at(i).reset();
}

}  // namespace beamlink::testing
