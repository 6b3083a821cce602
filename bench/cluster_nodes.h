// A set of node processes for the cluster benchmark: beamlink nodes
// (`beamlink node --config FILE`) or real erl nodes
// (bench/cluster_bench.erl), the EPMD they use (`beamlink epmd`), their
// logs and what each logged of the others.
//
// Addresses: a node named n@127.77.0.5 listens on 127.77.0.5 and peers ask
// the EPMD at 127.77.0.5, so one `beamlink epmd` listens on 127.0.0.1 (where
// nodes register) and on every node's address. Nodes inside a network
// namespace get their EPMD inside it too.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster_logs.h"
#include "cluster_procs.h"

namespace cluster_bench {

enum class Kind { beamlink, erl };

struct Tools {
  std::string beamlink;  // the beamlink binary
  std::string erl_dir;   // where cluster_bench.beam is
  std::string workdir;   // configs and logs go here
};

// How the nodes find each other. beamlink: the topology of its TOML file
// ("epmd": every name listed; "gossip": UDP multicast with the strategy's
// defaults). erl always connects over the static list.
struct Topology {
  std::string strategy = "epmd";
  std::vector<std::string> gossip_options;  // extra `key = value` lines
  std::vector<std::string> node_options;    // extra [node] lines (beamlink)
};

struct NodeSpec {
  Kind kind = Kind::beamlink;
  std::string name;     // name@address
  std::string address;  // what it listens on
  std::string netns;    // "" for the driver's own namespace
  int ticktime_s = 0;   // erl's net_ticktime; 0 keeps the default
};

struct Member {
  NodeSpec spec;
  pid_t pid = -1;
  std::unique_ptr<LogFollower> log;
  PeerView view;
  // When it logged that it can be reached (registered with EPMD).
  std::optional<int64_t> up_at;
  std::vector<std::string> lines;  // other lines worth a look (errors)
  Member(NodeSpec s, size_t expected) : spec(std::move(s)), view(expected) {}
};

class NodeSet {
 public:
  NodeSet(Tools tools, uint16_t epmd_port) : tools_(std::move(tools)), epmd_port_(epmd_port) {}

  // Starts one EPMD in `netns` on 127.0.0.1 and `addresses`, and waits
  // until it listens on all of them. False (with a message) if it did not.
  bool start_epmd(const std::string& netns, const std::vector<std::string>& addresses);

  // Starts the nodes, each expecting to see all the others; the beamlink
  // ones share one config naming every node (static strategy). Returns
  // the wall-clock time just before the first was started.
  int64_t start(std::vector<NodeSpec> specs, const Topology& topology);

  // Reads what the logs gained since the last call.
  void poll();
  std::vector<Member>& members() { return members_; }

  // Polls every 10 ms until every member still running sees all the others
  // and has for `settle`, or until `deadline_ms` (wall clock). True when
  // formed.
  bool wait_formed(int64_t deadline_ms, int64_t settle_ms);
  // The CPU time all members had used when they were last seen formed.
  int64_t formed_cpu_ms() const { return formed_cpu_ms_; }

  void kill_member(size_t index);  // kill -9, reaped
  bool running(size_t index) const { return members_[index].pid > 0; }
  int64_t total_rss_kib() const;
  int64_t total_cpu_ms() const;

 private:
  std::string write_beamlink_config(const Topology& topology) const;
  std::string write_peers_file() const;
  Launch launch_for(const NodeSpec& spec, const std::string& config,
                    const std::string& peers) const;

  Tools tools_;
  uint16_t epmd_port_;
  std::vector<Member> members_;
  int epmd_count_ = 0;
  int64_t formed_cpu_ms_ = 0;
};

const char* kind_name(Kind kind);

}  // namespace cluster_bench
