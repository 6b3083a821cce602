#include "cluster_nodes.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <thread>

namespace cluster_bench {
namespace {

// "127.77.0.5" -> "{127,77,0,5}", as erl's inet_dist_use_interface wants.
std::string erl_tuple(const std::string& address) {
  std::string tuple = "{" + address + "}";
  std::replace(tuple.begin(), tuple.end(), '.', ',');
  return tuple;
}

void sleep_ms(int ms) {
  std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

}  // namespace

const char* kind_name(Kind kind) {
  return kind == Kind::beamlink ? "beamlink" : "erl";
}

bool NodeSet::start_epmd(const std::string& netns, const std::vector<std::string>& addresses) {
  Launch launch{
      {tools_.beamlink, "epmd", "--port", std::to_string(epmd_port_), "--address", "127.0.0.1"},
      netns,
      {}};
  for (const auto& address : addresses) {
    launch.argv.push_back("--address");
    launch.argv.push_back(address);
  }
  const std::string log = tools_.workdir + "/epmd" + std::to_string(epmd_count_++) + ".log";
  if (spawn_child(launch, log) < 0) return false;
  LogFollower follower(log);
  size_t listening = 0;
  for (int i = 0; i < 500 && listening < addresses.size() + 1; ++i) {
    for (const auto& line : follower.new_lines()) {
      if (line.find("listening on") != std::string::npos) ++listening;
    }
    sleep_ms(10);
  }
  if (listening < addresses.size() + 1) {
    std::fprintf(stderr, "epmd listens on %zu of %zu addresses after 5 s; see %s\n", listening,
                 addresses.size() + 1, log.c_str());
    return false;
  }
  return true;
}

std::string NodeSet::write_beamlink_config(const Topology& topology) const {
  const std::string path = tools_.workdir + "/beamlink.toml";
  std::ofstream out(path);
  out << "[node]\ncookie = \"bench\"\nepmd_port = " << epmd_port_ << "\n";
  for (const auto& line : topology.node_options) out << line << "\n";
  out << "\n";
  out << "[topologies.bench]\nstrategy = \"" << topology.strategy << "\"\n";
  if (topology.strategy == "epmd") {
    out << "hosts = [";
    for (size_t i = 0; i < members_.size(); ++i) {
      out << (i > 0 ? ", " : "") << '"' << members_[i].spec.name << '"';
    }
    out << "]\n";
  }
  for (const auto& line : topology.gossip_options) out << line << "\n";
  return path;
}

std::string NodeSet::write_peers_file() const {
  const std::string path = tools_.workdir + "/peers.txt";
  std::ofstream out(path);
  for (const auto& member : members_) out << member.spec.name << "\n";
  return path;
}

Launch NodeSet::launch_for(const NodeSpec& spec, const std::string& config,
                           const std::string& peers) const {
  if (spec.kind == Kind::beamlink) {
    return Launch{{tools_.beamlink, "node", "--config", config, "--name", spec.name,
                   "--listen-address", spec.address},
                  spec.netns,
                  {}};
  }
  Launch launch{
      {"erl", "-setcookie", "bench", "-kernel", "inet_dist_use_interface", erl_tuple(spec.address),
       "-start_epmd", "false", "-noshell", "-noinput", "-pa", tools_.erl_dir},
      spec.netns,
      {"ERL_EPMD_PORT=" + std::to_string(epmd_port_)}};
  if (spec.ticktime_s > 0) {
    launch.argv.insert(launch.argv.end(),
                       {"-kernel", "net_ticktime", std::to_string(spec.ticktime_s)});
  }
  launch.argv.insert(launch.argv.end(), {"-run", "cluster_bench", "run", spec.name, peers});
  return launch;
}

int64_t NodeSet::start(std::vector<NodeSpec> specs, const Topology& topology) {
  const size_t expected = specs.size() - 1;
  for (auto& spec : specs) members_.emplace_back(std::move(spec), expected);
  const std::string config = write_beamlink_config(topology);
  const std::string peers = write_peers_file();
  std::vector<Launch> launches;
  for (const auto& member : members_) launches.push_back(launch_for(member.spec, config, peers));
  const int64_t started = wall_ms();
  for (size_t i = 0; i < members_.size(); ++i) {
    const std::string log = tools_.workdir + "/node" + std::to_string(i) + ".log";
    members_[i].log = std::make_unique<LogFollower>(log);
    members_[i].pid = spawn_child(launches[i], log);
  }
  return started;
}

void NodeSet::poll() {
  for (auto& member : members_) {
    for (const auto& line : member.log->new_lines()) {
      if (auto event = parse_node_event(line)) {
        member.view.add(*event);
      } else if (line.find(" up, distribution port ") != std::string::npos ||
                 line.find("] distribution started") != std::string::npos) {
        member.up_at = parse_stamp(std::string_view(line).substr(0, 24));
      } else if (line.find(" error ") != std::string::npos ||
                 line.find(" warning ") != std::string::npos) {
        if (member.lines.size() < 20) member.lines.push_back(line);
      }
    }
  }
}

bool NodeSet::wait_formed(int64_t deadline_ms, int64_t settle_ms) {
  std::optional<int64_t> formed_since;
  while (wall_ms() < deadline_ms) {
    poll();
    const bool all = std::all_of(members_.begin(), members_.end(), [](const Member& m) {
      return m.pid <= 0 || m.view.saw_all_at().has_value();
    });
    if (!all) {
      formed_since.reset();
    } else if (!formed_since) {
      formed_since = wall_ms();
      formed_cpu_ms_ = total_cpu_ms();
    } else if (wall_ms() - *formed_since >= settle_ms) {
      return true;
    }
    sleep_ms(10);
  }
  return false;
}

void NodeSet::kill_member(size_t index) {
  kill_child(members_[index].pid);
  members_[index].pid = -1;
}

int64_t NodeSet::total_rss_kib() const {
  int64_t total = 0;
  for (const auto& member : members_) {
    if (member.pid > 0) total += rss_kib(member.pid);
  }
  return total;
}

int64_t NodeSet::total_cpu_ms() const {
  int64_t total = 0;
  for (const auto& member : members_) {
    if (member.pid > 0) total += cpu_ms(member.pid);
  }
  return total;
}

}  // namespace cluster_bench
