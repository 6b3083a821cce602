// cluster_formation: the driver of bench/compare_cluster.sh. It starts
// beamlink or erl node processes, reads the nodeup/nodedown lines they log
// (with their own millisecond timestamps) and prints one line of
// key=value results. Every process it starts is stopped by pid on exit.
//
//   cluster_formation form   --kind beamlink|erl --nodes N [--strategy epmd|gossip]
//                            [--netns NS]
//       Starts N nodes at once; per node, the time from that launch until
//       it has logged nodeup for all N-1 others and no nodedown since; the
//       CPU the nodes used until then; then the CPU the formed cluster uses
//       while idle for --idle SECONDS (5). --node-option 'KEY = V' adds a
//       line to the beamlink nodes' [node] table.
//   cluster_formation kill   --kind K --nodes N [--trials T] [--signal stop]
//       Forms N nodes, then kill -9s one at a time; the time until every
//       other node has logged nodedown for it. With --signal stop the node
//       is SIGSTOPped instead (its kernel keeps the sockets open and
//       acknowledging: only the failure detectors can tell), and killed
//       once the others have dropped it. --node-option as for form.
//   cluster_formation silent --kind K [--peer-kind K] --netns A --peer-netns B
//                            --address IP --peer-address IP --cut 'SHELL COMMAND'
//                            [--ticktime S]
//       Node a in namespace A and node b in B (their EPMDs beside them);
//       once connected, runs the cut command (which silences b without
//       closing its sockets) and times a's nodedown for b.
// Common: --beamlink BIN --erl-dir DIR (cluster_bench.beam) --workdir DIR
//         --subnet S (node addresses 127.S.x.y) --timeout SECONDS.
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "cluster_nodes.h"

namespace {

using namespace cluster_bench;

struct Args {
  std::string scenario;
  std::map<std::string, std::string> values;

  std::string get(const std::string& key, const std::string& fallback = "") const {
    auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
  }
  long number(const std::string& key, long fallback) const {
    auto it = values.find(key);
    return it == values.end() ? fallback : std::strtol(it->second.c_str(), nullptr, 10);
  }
  Kind kind(const std::string& key) const {
    return get(key, "beamlink") == "erl" ? Kind::erl : Kind::beamlink;
  }
};

bool parse(int argc, char** argv, Args& args) {
  if (argc < 2) return false;
  args.scenario = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    std::string key = argv[i];
    if (!key.starts_with("--")) return false;
    args.values[key.substr(2)] = argv[i + 1];
  }
  return (argc % 2) == 0 && !args.get("beamlink").empty() && !args.get("workdir").empty();
}

int64_t percentile(std::vector<int64_t> values, double p) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  const size_t index = static_cast<size_t>(p * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

// Node i's address in 127.S.0.0/16: 127.S.(i / 250).(i % 250 + 1).
std::string address_of(long subnet, size_t i) {
  return "127." + std::to_string(subnet) + "." + std::to_string(i / 250) + "." +
         std::to_string(i % 250 + 1);
}

std::vector<NodeSpec> local_specs(const Args& args, size_t count, const std::string& netns) {
  std::vector<NodeSpec> specs;
  const Kind kind = args.kind("kind");
  for (size_t i = 0; i < count; ++i) {
    NodeSpec spec;
    spec.kind = kind;
    spec.address = address_of(args.number("subnet", 77), i);
    std::ostringstream name;  // (string concatenation trips g++ 12's -Wrestrict at -O3)
    name << (kind == Kind::erl ? 'e' : 'b') << i + 1 << '@' << spec.address;
    spec.name = name.str();
    spec.netns = netns;
    specs.push_back(spec);
  }
  return specs;
}

Tools tools_from(const Args& args) {
  return Tools{args.get("beamlink"), args.get("erl-dir", "."), args.get("workdir")};
}

void report_problems(NodeSet& nodes) {
  size_t shown = 0;
  for (const auto& member : nodes.members()) {
    for (const auto& line : member.lines) {
      if (shown++ < 10) std::fprintf(stderr, "  %s: %s\n", member.spec.name.c_str(), line.c_str());
    }
  }
}

struct Formation {
  std::optional<int64_t> launched;  // when the nodes were started
  bool formed = false;              // before the timeout
};

// Starts the nodes and waits until they have formed.
Formation form(const Args& args, NodeSet& nodes, const std::vector<NodeSpec>& specs,
               const Topology& topology, const std::string& netns) {
  std::vector<std::string> addresses;
  for (const auto& spec : specs) addresses.push_back(spec.address);
  if (!nodes.start_epmd(netns, addresses)) return {};
  const int64_t launched = nodes.start(specs, topology);
  const int64_t deadline = launched + args.number("timeout", 60) * 1000;
  return {launched, nodes.wait_formed(deadline, 1000)};
}

int run_form(const Args& args) {
  const size_t count = static_cast<size_t>(args.number("nodes", 8));
  const std::string netns = args.get("netns");
  Topology topology;
  topology.strategy = args.get("strategy", "epmd");
  if (topology.strategy == "gossip") {
    // Inside the benchmark's own namespace: bind the wildcard there and
    // send the multicast out of its loopback.
    topology.gossip_options = {"if_addr = \"0.0.0.0\"", "multicast_if = \"127.0.0.1\""};
  }
  if (auto line = args.get("node-option"); !line.empty()) topology.node_options.push_back(line);
  NodeSet nodes(tools_from(args), free_port());
  auto specs = local_specs(args, count, netns);
  const Formation formation = form(args, nodes, specs, topology, netns);
  const int64_t launched = formation.launched.value_or(0);
  std::printf("scenario=form kind=%s strategy=%s nodes=%zu", kind_name(args.kind("kind")),
              args.kind("kind") == Kind::erl ? "connect_node" : topology.strategy.c_str(), count);
  nodes.poll();
  std::vector<int64_t> times;
  std::vector<int64_t> up_times;
  size_t downs = 0;
  for (const auto& member : nodes.members()) {
    if (auto at = member.view.saw_all_at()) times.push_back(*at - launched);
    if (member.up_at) up_times.push_back(*member.up_at - launched);
    downs += member.view.downs();
  }
  if (!formation.formed) {
    std::printf(" formed=0 seeing_all=%zu nodedowns=%zu rss_kib=%lld\n", times.size(), downs,
                static_cast<long long>(nodes.total_rss_kib()));
    report_problems(nodes);
    return 1;
  }
  // Then the formed cluster idles: the CPU its nodes use (liveness probes,
  // ticks) in percent of one core, and the nodedowns logged meanwhile.
  const int64_t rss = nodes.total_rss_kib();
  const int64_t idle_ms = args.number("idle", 5) * 1000;
  const int64_t cpu_before = nodes.total_cpu_ms();
  std::this_thread::sleep_for(std::chrono::milliseconds(idle_ms));
  const int64_t idle_cpu = nodes.total_cpu_ms() - cpu_before;
  nodes.poll();
  size_t idle_downs = 0;
  for (const auto& member : nodes.members()) idle_downs += member.view.downs();
  idle_downs -= downs;
  // last_up_ms: when the last node could be reached; the rest of max_ms
  // is the meshing itself.
  std::printf(
      " formed=1 median_ms=%lld max_ms=%lld min_ms=%lld last_up_ms=%lld nodedowns=%zu"
      " rss_kib=%lld form_cpu_ms=%lld idle_cpu_pct=%.1f idle_nodedowns=%zu\n",
      static_cast<long long>(percentile(times, 0.5)),
      static_cast<long long>(percentile(times, 1.0)),
      static_cast<long long>(percentile(times, 0.0)),
      static_cast<long long>(percentile(up_times, 1.0)), downs, static_cast<long long>(rss),
      static_cast<long long>(nodes.formed_cpu_ms()),
      100.0 * static_cast<double>(idle_cpu) / static_cast<double>(idle_ms), idle_downs);
  return 0;
}

int run_kill(const Args& args) {
  const size_t count = static_cast<size_t>(args.number("nodes", 8));
  const size_t trials = static_cast<size_t>(std::clamp(args.number("trials", 3), 1L, 5L));
  const bool stop = args.get("signal", "kill") == "stop";
  Topology topology;
  if (auto line = args.get("node-option"); !line.empty()) topology.node_options.push_back(line);
  NodeSet nodes(tools_from(args), free_port());
  const Formation formation = form(args, nodes, local_specs(args, count, ""), topology, "");
  std::printf("scenario=kill kind=%s nodes=%zu signal=%s", kind_name(args.kind("kind")), count,
              stop ? "stop" : "kill");
  if (!formation.formed) {
    std::printf(" formed=0\n");
    report_problems(nodes);
    return 1;
  }
  std::vector<int64_t> delays;
  size_t missed = 0;
  for (size_t trial = 0; trial < trials; ++trial) {
    const size_t victim = count - 1 - trial;
    const std::string name = nodes.members()[victim].spec.name;
    const int64_t killed_at = wall_ms();
    if (stop) {
      ::kill(nodes.members()[victim].pid, SIGSTOP);
    } else {
      nodes.kill_member(victim);
    }
    std::vector<std::optional<int64_t>> seen(count);
    for (const int64_t deadline = killed_at + 10'000; wall_ms() < deadline;) {
      nodes.poll();
      bool all = true;
      for (size_t i = 0; i < count; ++i) {
        if (!nodes.running(i) || i == victim || seen[i]) continue;
        if (auto down = nodes.members()[i].view.down_since(name, killed_at)) {
          seen[i] = down->at_ms - killed_at;
        } else {
          all = false;
        }
      }
      if (all) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    for (size_t i = 0; i < count; ++i) {
      if (!nodes.running(i) || i == victim) continue;
      if (seen[i]) {
        delays.push_back(*seen[i]);
      } else {
        ++missed;
      }
    }
    if (stop) nodes.kill_member(victim);
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  }
  std::printf(" formed=1 trials=%zu observations=%zu median_ms=%lld max_ms=%lld missed=%zu\n",
              trials, delays.size(), static_cast<long long>(percentile(delays, 0.5)),
              static_cast<long long>(percentile(delays, 1.0)), missed);
  return missed == 0 ? 0 : 1;
}

int run_silent(const Args& args) {
  NodeSpec a{args.kind("kind"), "", args.get("address"), args.get("netns"),
             static_cast<int>(args.number("ticktime", 0))};
  NodeSpec b{args.values.contains("peer-kind") ? args.kind("peer-kind") : a.kind, "",
             args.get("peer-address"), args.get("peer-netns"), a.ticktime_s};
  a.name = "a@" + a.address;
  b.name = "b@" + b.address;
  const std::string cut = args.get("cut");
  if (a.address.empty() || b.address.empty() || a.netns.empty() || b.netns.empty() || cut.empty()) {
    std::fprintf(stderr, "silent needs --netns --peer-netns --address --peer-address --cut\n");
    return 2;
  }
  NodeSet nodes(tools_from(args), free_port());
  std::printf("scenario=silent kind=%s peer_kind=%s ticktime=%d", kind_name(a.kind),
              kind_name(b.kind), a.ticktime_s);
  if (!nodes.start_epmd(a.netns, {a.address}) || !nodes.start_epmd(b.netns, {b.address})) {
    std::printf(" formed=0\n");
    return 1;
  }
  const int64_t launched = nodes.start({a, b}, Topology{});
  if (!nodes.wait_formed(launched + 30'000, 1000)) {
    std::printf(" formed=0\n");
    report_problems(nodes);
    return 1;
  }
  const int64_t cut_begin = wall_ms();
  const int status = run_command({"sh", "-c", cut}, std::chrono::milliseconds(10'000));
  const int64_t cut_end = wall_ms();
  if (status != 0) {
    std::printf(" formed=1 cut_failed=%d\n", status);
    return 1;
  }
  const int64_t deadline = cut_end + args.number("timeout", 120) * 1000;
  std::optional<NodeEvent> down;
  while (!down && wall_ms() < deadline) {
    nodes.poll();
    down = nodes.members()[0].view.down_since(b.name, cut_begin);
    if (!down) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::printf(" formed=1 cut_ms=%lld", static_cast<long long>(cut_end - cut_begin));
  if (!down) {
    std::printf(" detected=0 waited_ms=%lld\n", static_cast<long long>(wall_ms() - cut_end));
    return 1;
  }
  std::string reason = down->reason;
  std::replace(reason.begin(), reason.end(), ' ', '_');
  std::printf(" detected=1 detect_ms=%lld reason=%s\n",
              static_cast<long long>(down->at_ms - cut_end), reason.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: cluster_formation form|kill|silent --beamlink BIN --workdir DIR "
                 "[--KEY VALUE ...] (see the comment at the top of cluster_formation.cc)\n");
    return 2;
  }
  install_child_cleanup();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  int status = 2;
  if (args.scenario == "form") status = run_form(args);
  if (args.scenario == "kill") status = run_kill(args);
  if (args.scenario == "silent") status = run_silent(args);
  stop_all_children();
  return status;
}
