#include "integration/support/dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "integration/support/test_env.h"

namespace beamlink::testing {
namespace {

using namespace std::chrono_literals;

// dnsmasq is in /usr/sbin, which a user's PATH may lack.
std::string dnsmasq_binary() {
  for (const char* candidate : {"/usr/sbin/dnsmasq", "/usr/bin/dnsmasq"}) {
    if (::access(candidate, X_OK) == 0) return candidate;
  }
  return "dnsmasq";
}

void write_file(const std::string& path, const std::string& text) {
  std::string partial = path + ".partial";
  {
    std::ofstream out(partial, std::ios::trunc);
    out << text;
  }
  std::filesystem::rename(partial, path);  // a reader never sees half a file
}

std::string hosts_text(const std::vector<std::pair<std::string, std::string>>& hosts) {
  std::string text;
  for (const auto& [name, address] : hosts) text += address + " " + name + "\n";
  return text;
}

size_t occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::optional<sockaddr_in> ipv4_endpoint(const std::string& address, uint16_t port) {
  sockaddr_in endpoint{};
  endpoint.sin_family = AF_INET;
  endpoint.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &endpoint.sin_addr) != 1) return std::nullopt;
  return endpoint;
}

// Where the question of a DNS message ends (after QTYPE and QCLASS); 0 if
// it is malformed.
size_t question_end(const uint8_t* message, size_t length) {
  size_t at = 12;
  while (at < length && message[at] != 0) {
    if ((message[at] & 0xC0) != 0) return 0;  // queries carry no pointers
    at += 1 + message[at];
  }
  return at + 5 <= length ? at + 5 : 0;
}

}  // namespace

std::expected<Dnsmasq, std::string> Dnsmasq::start(const std::string& address,
                                                   const DnsRecords& records, uint16_t port) {
  Dnsmasq server;
  char pattern[] = "/tmp/beamlink-dns-XXXXXX";
  if (::mkdtemp(pattern) == nullptr) return std::unexpected("mkdtemp failed");
  server.dir_ = pattern;
  server.address_ = address;
  std::string last_error;
  for (int attempt = 0; attempt < (port == 0 ? 5 : 1); ++attempt) {
    server.port_ = port == 0 ? free_port() : port;
    auto launched = server.launch(records);
    if (launched) return server;
    last_error = launched.error();
  }
  return std::unexpected(last_error);
}

Dnsmasq::Dnsmasq(Dnsmasq&& other) noexcept
    : address_(std::move(other.address_)),
      port_(other.port_),
      dir_(std::exchange(other.dir_, std::string())),
      process_(std::exchange(other.process_, std::nullopt)),
      past_output_(std::move(other.past_output_)) {}

Dnsmasq::~Dnsmasq() {
  stop();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

std::expected<void, std::string> Dnsmasq::launch(const DnsRecords& records) {
  write_file(dir_ + "/hosts", hosts_text(records.hosts));
  std::string conf;
  for (const auto& zone : records.local_zones) conf += "local=/" + zone + "/\n";
  if (!records.upstream.empty()) conf += "server=" + records.upstream + "\n";
  for (const auto& srv : records.srv) {
    conf += "srv-host=" + srv.service + "," + srv.target + "," + std::to_string(srv.port) + "," +
            std::to_string(srv.priority) + "," + std::to_string(srv.weight) + "\n";
  }
  write_file(dir_ + "/dnsmasq.conf", conf);
  std::vector<std::string> argv = {dnsmasq_binary(),
                                   "--keep-in-foreground",
                                   "--no-resolv",
                                   "--no-hosts",
                                   "--bind-interfaces",
                                   "--listen-address=" + address_,
                                   "--port=" + std::to_string(port_),
                                   "--conf-file=" + dir_ + "/dnsmasq.conf",
                                   "--addn-hosts=" + dir_ + "/hosts",
                                   "--pid-file=" + dir_ + "/dnsmasq.pid",
                                   "--log-facility=-"};
  if (::geteuid() == 0) {  // else it would switch to "nobody", who cannot read dir_
    argv.push_back("--user=root");
    argv.push_back("--group=root");
  }
  auto child = ChildProcess::spawn(argv);
  if (!child)
    return std::unexpected("cannot start dnsmasq (is dnsmasq installed?): " + child.error());
  bool answers = eventually(
      [&] { return !child->running() || dns_rcode(address_, port_, "probe.invalid", 1, 100); },
      10s);
  if (!answers || !child->running()) {
    std::string why = "dnsmasq on " + endpoint() + " did not come up: " + child->output();
    child->stop(SIGKILL);
    return std::unexpected(why);
  }
  process_.emplace(std::move(*child));
  return {};
}

std::expected<void, std::string> Dnsmasq::set_hosts(
    const std::vector<std::pair<std::string, std::string>>& hosts) {
  if (!process_) return std::unexpected("dnsmasq is not running");
  const std::string read_line = "read " + dir_ + "/hosts";
  size_t reads = occurrences(process_->output(), read_line);
  write_file(dir_ + "/hosts", hosts_text(hosts));
  ::kill(process_->pid(), SIGHUP);
  if (!eventually([&] { return occurrences(process_->output(), read_line) > reads; }, 5s)) {
    return std::unexpected("dnsmasq did not re-read its hosts file: " + output());
  }
  return {};
}

std::expected<void, std::string> Dnsmasq::restart(const DnsRecords& records) {
  stop();
  std::string last_error;
  // The old process's port may take a moment to be free again.
  for (int attempt = 0; attempt < 10; ++attempt) {
    auto launched = launch(records);
    if (launched) return {};
    last_error = launched.error();
    std::this_thread::sleep_for(200ms);
  }
  return std::unexpected(last_error);
}

void Dnsmasq::stop() {
  if (!process_) return;
  process_->stop(SIGTERM, 2s);
  past_output_ += process_->output();
  process_.reset();
}

std::string Dnsmasq::output() const {
  return past_output_ + (process_ ? process_->output() : std::string());
}

std::unique_ptr<BrokenDnsServer> BrokenDnsServer::start(Mode mode, const std::string& address,
                                                        uint16_t port) {
  auto endpoint = ipv4_endpoint(address, port);
  if (!endpoint) return nullptr;
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return nullptr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&*endpoint), sizeof *endpoint) != 0) {
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<BrokenDnsServer>(new BrokenDnsServer(fd, mode));
}

BrokenDnsServer::BrokenDnsServer(int fd, Mode mode) : fd_(fd), mode_(mode) {
  if (mode_ == Mode::servfail) thread_ = std::thread([this] { serve(); });
}

BrokenDnsServer::~BrokenDnsServer() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(fd_);
}

void BrokenDnsServer::serve() {
  uint8_t message[4096];
  while (!stopping_) {
    pollfd ready{fd_, POLLIN, 0};
    if (::poll(&ready, 1, 50) <= 0) continue;
    sockaddr_storage from{};
    socklen_t from_length = sizeof from;
    ssize_t n = ::recvfrom(fd_, message, sizeof message, 0, reinterpret_cast<sockaddr*>(&from),
                           &from_length);
    if (n < 12) continue;
    size_t end = question_end(message, static_cast<size_t>(n));
    if (end == 0) continue;
    ++questions_;
    message[2] = static_cast<uint8_t>(0x80 | (message[2] & 0x79));  // QR, opcode and RD kept
    message[3] = 0x80 | 2;                                          // RA, RCODE=SERVFAIL
    std::fill(message + 6, message + 12, 0);                        // only the question
    ::sendto(fd_, message, end, 0, reinterpret_cast<sockaddr*>(&from), from_length);
  }
}

std::optional<int> dns_rcode(const std::string& address, uint16_t port, const std::string& name,
                             uint16_t type, int timeout_ms) {
  auto endpoint = ipv4_endpoint(address, port);
  if (!endpoint) return std::nullopt;
  std::vector<uint8_t> query = {0, 0, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  uint16_t id = static_cast<uint16_t>(std::random_device{}());
  query[0] = static_cast<uint8_t>(id >> 8);
  query[1] = static_cast<uint8_t>(id);
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = std::min(name.find('.', start), name.size());
    query.push_back(static_cast<uint8_t>(dot - start));
    query.insert(query.end(), name.begin() + start, name.begin() + dot);
    start = dot + 1;
  }
  query.insert(query.end(), {0, static_cast<uint8_t>(type >> 8), static_cast<uint8_t>(type), 0, 1});
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return std::nullopt;
  std::optional<int> rcode;
  if (::sendto(fd, query.data(), query.size(), 0, reinterpret_cast<sockaddr*>(&*endpoint),
               sizeof *endpoint) == static_cast<ssize_t>(query.size())) {
    pollfd ready{fd, POLLIN, 0};
    uint8_t reply[4096];
    if (::poll(&ready, 1, timeout_ms) == 1) {
      ssize_t n = ::recv(fd, reply, sizeof reply, 0);
      if (n >= 12 && reply[0] == query[0] && reply[1] == query[1]) rcode = reply[3] & 0x0F;
    }
  }
  ::close(fd);
  return rcode;
}

}  // namespace beamlink::testing
