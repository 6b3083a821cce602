#include "integration/support/cluster_support.h"

#include <stdlib.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "beamlink/epmd.h"
#include "integration/support/subprocess.h"
#include "integration/support/test_env.h"

namespace beamlink::testing {
namespace {

using namespace std::chrono_literals;

bool answers_names(const std::string& address, uint16_t port) {
  epmd::ClientOptions client;
  client.host = address;
  client.port = port;
  client.timeout = 500ms;
  return epmd::names(client).has_value();
}

}  // namespace

std::expected<EpmdChild, std::string> start_epmd_child(const std::string& cli,
                                                       const std::vector<std::string>& addresses) {
  std::string last_error = "no attempt";
  for (int attempt = 0; attempt < 5; ++attempt) {
    uint16_t port = free_port();
    auto child = ChildProcess::spawn(
        {cli, "epmd", "--port", std::to_string(port), "--address", join(addresses)});
    if (!child) return std::unexpected("cannot start beamlink epmd: " + child.error());
    bool up = eventually(
        [&] {
          if (!child->running()) return true;  // lost the port: try another
          for (const auto& address : addresses) {
            if (!answers_names(address, port)) return false;
          }
          return true;
        },
        10s);
    if (up && child->running()) return EpmdChild{std::move(*child), port};
    last_error =
        "beamlink epmd on port " + std::to_string(port) + " did not come up: " + child->output();
    child->stop(SIGKILL);
  }
  return std::unexpected(last_error);
}

TempDir::TempDir() {
  char pattern[] = "/tmp/beamlink-cluster-XXXXXX";
  const char* made = ::mkdtemp(pattern);
  if (made == nullptr) throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  path_ = made;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string TempDir::write(std::string_view name, std::string_view text) const {
  std::string file = path_ + "/" + std::string(name);
  // Write beside it and rename, so a reader never sees half a file.
  std::string partial = file + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out << text;
  }
  std::filesystem::rename(partial, file);
  return file;
}

std::optional<std::vector<std::string>> visible_peers(const std::string& cli,
                                                      const std::string& node, uint16_t epmd_port,
                                                      const std::string& cookie,
                                                      std::chrono::milliseconds timeout,
                                                      const std::vector<std::string>& extra) {
  auto seconds = std::to_string(static_cast<double>(timeout.count()) / 1000.0);
  std::vector<std::string> argv = {
      cli,         "nodes", node, "--cookie", cookie, "--epmd-port", std::to_string(epmd_port),
      "--timeout", seconds};
  // The helper node is named beamlink_<pid>@<NODE's host>; make it listen
  // there too. By default it listens on 127.0.0.1 whatever 127.0.0.x its
  // name says, so a node that discovers it through EPMD (local_epmd,
  // erlang_hosts) and dials it at the same moment wins the simultaneous
  // connect, fails to reach it, and leaves the helper waiting out its
  // --timeout.
  std::string host = node.substr(node.find('@') + 1);
  if (host.starts_with("127.")) {
    argv.push_back("--listen-address");
    argv.push_back(host);
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  ProcessResult result = run_process(argv, "", timeout + 2s);
  if (result.exit_code != 0) return std::nullopt;
  std::istringstream lines(result.out);
  std::string line;
  if (!std::getline(lines, line) || line != node) return std::nullopt;
  std::vector<std::string> peers;
  while (std::getline(lines, line)) {
    if (!line.empty()) peers.push_back(line);
  }
  return peers;
}

size_t count_of(std::string_view text, std::string_view needle) {
  size_t count = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++count;
  }
  return count;
}

std::vector<int64_t> numbers_after(std::string_view text, std::string_view prefix) {
  std::vector<int64_t> numbers;
  for (size_t at = text.find(prefix); at != std::string_view::npos;
       at = text.find(prefix, at + prefix.size())) {
    const char* begin = text.data() + at + prefix.size();
    int64_t value = 0;
    auto [end, ec] = std::from_chars(begin, text.data() + text.size(), value);
    if (ec == std::errc() && end != begin) numbers.push_back(value);
  }
  return numbers;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

}  // namespace beamlink::testing
