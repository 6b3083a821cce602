// load_bench: the beamlink client of bench/compare_load.sh and
// bench/soak.sh. The echo and latency modes do what load_bench.erl's
// echo/1 and latency/1 do (see the comment there for the protocol and the
// output lines), so a beamlink client can face an erl `echo` or a
// `beamlink node` one with the same workload.
//
//   load_bench echo    --name N --cookie C SERVER COUNT WINDOW DURATION REPORT
//   load_bench latency --name N --cookie C SERVER IDLE_PINGS COUNT SIZE
//   load_bench slow    --name N --cookie C --peer-port P --listen-port L
//                      PEER SIZE TOTAL_MIB DURATION
//
// slow: without EPMD, dials PEER at 127.0.0.1:P (bench/slow_proxy.py, which
// passes our bytes on slowly or not at all) and sends {bin, B} of SIZE
// bytes to {echo, PEER} until TOTAL_MIB are sent or DURATION seconds pass,
// then watches until DURATION is over. Prints
//   slow sent=S send_secs=T nodedowns=N first_down_at=D peak_rss_kib=P
//        end_rss_kib=E connections=C
// peak is this process's VmHWM; connections is what is still up at the end.
// Everything binds 127.0.0.1; nodedowns and connection losses go to stderr.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "beamlink/node.h"

namespace {

using namespace beamlink;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kStall{5000};  // a full window with no reply: give up on it
constexpr milliseconds kIdle{10000};  // after the last send: no reply for this long ends
constexpr milliseconds kPingTimeout{10000};

struct Args {
  std::string mode, name, cookie;
  uint16_t peer_port = 0, listen_port = 0;
  std::vector<std::string> positional;
};

bool parse(int argc, char** argv, Args& a) {
  if (argc < 2) return false;
  a.mode = argv[1];
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 < argc && (arg == "--name" || arg == "--cookie")) {
      (arg == "--name" ? a.name : a.cookie) = argv[++i];
    } else if (i + 1 < argc && (arg == "--peer-port" || arg == "--listen-port")) {
      (arg == "--peer-port" ? a.peer_port : a.listen_port) =
          static_cast<uint16_t>(std::stoul(argv[++i]));
    } else {
      a.positional.push_back(arg);
    }
  }
  if (a.name.empty() || a.cookie.empty()) return false;
  if (a.mode == "echo") return a.positional.size() == 5;
  if (a.mode == "latency") return a.positional.size() == 4;
  if (a.mode == "slow") return a.positional.size() == 4 && a.peer_port != 0;
  return false;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// A node whose connection losses are reported on stderr and counted.
struct Client {
  std::atomic<int> nodedowns{0};
  std::atomic<int64_t> first_down_ms{-1};
  std::atomic<bool> finished{false};  // set before the node stops: its own close is no loss
  Clock::time_point t0 = Clock::now();
  std::unique_ptr<Node> node;  // last: stopped before the counters its handler uses go

  ~Client() { finished.store(true); }

  bool start(const Args& a) {
    NodeOptions options;
    options.name = a.name;
    options.cookie = a.cookie;
    options.listen_address = "127.0.0.1";
    if (a.peer_port != 0) {
      options.use_epmd = false;
      options.peer_port = a.peer_port;
      options.listen_port_min = options.listen_port_max = a.listen_port;
    }
    options.logger = [](LogLevel level, std::string_view, std::string_view message) {
      if (level != LogLevel::debug) std::fprintf(stderr, "%s\n", std::string(message).c_str());
    };
    auto started = Node::start(options);
    if (!started) {
      std::fprintf(stderr, "cannot start %s: %s\n", a.name.c_str(),
                   started.error().to_string().c_str());
      return false;
    }
    node = std::move(*started);
    node->subscribe_node_events([this](const NodeEvent& e) {
      if (e.kind != NodeEvent::Kind::down || finished.load()) return;
      int64_t none = -1;
      first_down_ms.compare_exchange_strong(
          none, std::chrono::duration_cast<milliseconds>(Clock::now() - t0).count());
      nodedowns.fetch_add(1);
      std::fprintf(stderr, "nodedown %s: %s (%s)\n", e.node.c_str(), e.reason.c_str(),
                   e.detail.c_str());
    });
    return true;
  }

  // Connects to `peer` (a ping), or says on stderr that it does not answer.
  bool reach(const std::string& peer) {
    if (node->ping(peer)) return true;
    std::fprintf(stderr, "%s does not answer\n", peer.c_str());
    return false;
  }
};

// ---- echo ----

struct EchoState {
  int64_t sent = 0, replies = 0, max = 0, reorders = 0, interval_replies = 0;
};

void take(EchoState& s, const Term& m) {
  const Tuple* t = m.get_if<Tuple>();
  if (t == nullptr || t->elements.size() != 2 || !t->elements[0].is_atom("seq")) return;
  const int64_t i = t->elements[1].as<int64_t>();
  ++s.replies;
  ++s.interval_replies;
  if (i > s.max) {
    s.max = i;
  } else {
    ++s.reorders;
  }
}

int echo(const Args& a) {
  Client c;
  if (!c.start(a)) return 1;
  const std::string& server = a.positional[0];
  const int64_t count = std::stoll(a.positional[1]);
  const int64_t window = std::stoll(a.positional[2]);
  const auto duration = std::chrono::seconds(std::stoll(a.positional[3]));
  const auto report = std::chrono::seconds(std::stoll(a.positional[4]));
  if (!c.reach(server)) return 1;
  auto self = c.node->spawn();
  if (!self) return 1;
  const Term self_pid(self->pid());
  EchoState s;
  const auto t0 = Clock::now();
  auto next_report = t0 + report;
  auto last_reply = t0;
  auto maybe_report = [&](Clock::time_point now) {
    if (report.count() == 0 || now < next_report) return;
    std::printf(
        "at=%llds sent=%lld replies=%lld rate=%.0f gaps=%lld reorders=%lld nodedowns=%d\n",
        static_cast<long long>(std::chrono::duration_cast<std::chrono::seconds>(now - t0).count()),
        static_cast<long long>(s.sent), static_cast<long long>(s.replies),
        static_cast<double>(s.interval_replies) / static_cast<double>(report.count()),
        static_cast<long long>(s.max - s.replies), static_cast<long long>(s.reorders),
        c.nodedowns.load());
    std::fflush(stdout);
    next_report += report;
    s.interval_replies = 0;
  };
  auto collect = [&](milliseconds timeout) {
    bool any = false;
    while (auto m = self->receive(any ? milliseconds(0) : timeout)) {
      take(s, *m);
      any = true;
    }
    if (any) last_reply = Clock::now();
    return any;
  };
  for (;;) {
    const auto now = Clock::now();
    maybe_report(now);
    if ((count != 0 && s.sent >= count) || now - t0 >= duration) break;
    int64_t batch = window == 0 ? 1000 : std::min<int64_t>(1000, window - (s.sent - s.max));
    if (count != 0) batch = std::min(batch, count - s.sent);
    if (batch <= 0) {  // the window is full
      if (!collect(kStall)) s.max = s.sent;
      continue;
    }
    for (int64_t i = s.sent + 1; i <= s.sent + batch; ++i) {
      self->send("echo", server,
                 Term::tuple({self_pid, Term::tuple({Term::atom("seq"), Term(i)})}));
    }
    s.sent += batch;
    collect(milliseconds(0));
  }
  auto idle_since = Clock::now();
  while (s.replies < s.sent && Clock::now() - idle_since < kIdle) {
    maybe_report(Clock::now());
    if (collect(milliseconds(500))) idle_since = Clock::now();
  }
  const double secs = std::max(0.001, std::chrono::duration<double>(last_reply - t0).count());
  std::printf(
      "echo sent=%lld replies=%lld lost=%lld dups=%lld reorders=%lld nodedowns=%d secs=%.2f "
      "rate=%.0f\n",
      static_cast<long long>(s.sent), static_cast<long long>(s.replies),
      static_cast<long long>(std::max<int64_t>(0, s.sent - s.replies)),
      static_cast<long long>(std::max<int64_t>(0, s.replies - s.sent)),
      static_cast<long long>(s.reorders), c.nodedowns.load(), secs,
      static_cast<double>(s.replies) / secs);
  return 0;
}

// ---- latency ----

// Round trip in milliseconds, or a negative value on timeout.
double rtt(Process& self, const std::string& server, int64_t n) {
  const Term expected = Term::tuple({Term::atom("ping"), Term(n)});
  const auto t0 = Clock::now();
  self.send("echo", server, Term::tuple({Term(self.pid()), expected}));
  auto reply = self.receive_if([&](const Term& m) { return m == expected; }, kPingTimeout);
  if (!reply) return -1;
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

std::string fixed2(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", value);
  return text;
}

struct Spread {
  double median = 0, p99 = 0, max = 0;
};

Spread spread(std::vector<double> v) {
  if (v.empty()) return {};
  std::sort(v.begin(), v.end());
  return {v[(v.size() - 1) / 2], v[std::min(v.size() - 1, (v.size() * 99 + 99) / 100 - 1)],
          v.back()};
}

int latency(const Args& a) {
  Client c;
  if (!c.start(a)) return 1;
  const std::string& server = a.positional[0];
  const long idle_pings = std::stol(a.positional[1]);
  const long count = std::stol(a.positional[2]);
  const size_t size = std::stoul(a.positional[3]);
  if (!c.reach(server)) return 1;
  auto pinger = c.node->spawn();
  auto streamer = c.node->spawn();
  if (!pinger || !streamer) return 1;
  for (int64_t n = -100; n < 0; ++n) rtt(*pinger, server, n);  // warm-up
  std::vector<double> idle, busy;
  long lost = 0;
  int64_t n = 1;
  for (; n <= idle_pings; ++n) {
    if (double t = rtt(*pinger, server, n); t >= 0) idle.push_back(t);
  }
  std::atomic<bool> streamed{false};
  double stream_secs = -1;
  std::thread stream_thread([&] {
    const Term bin = Term::tuple({Term::atom("bin"), Term::binary(std::string(size, '\x07'))});
    const auto t0 = Clock::now();
    for (long i = 0; i < count; ++i) streamer->send("echo", server, bin);
    streamer->send("echo", server, Term::tuple({Term(streamer->pid()), Term::atom("stream_done")}));
    if (streamer->receive(std::chrono::minutes(10))) stream_secs = seconds_since(t0);
    streamed.store(true);
  });
  while (!streamed.load()) {
    if (double t = rtt(*pinger, server, n++); t >= 0) {
      busy.push_back(t);
    } else {
      ++lost;
    }
  }
  stream_thread.join();
  const Spread i = spread(idle), b = spread(busy);
  std::printf(
      "latency idle_median=%.3f idle_p99=%.3f idle_max=%.3f busy_median=%.3f busy_p99=%.3f "
      "busy_max=%.3f busy_pings=%zu lost_pings=%ld stream_secs=%s stream_Bps=%.0f "
      "nodedowns=%d\n",
      i.median, i.p99, i.max, b.median, b.p99, b.max, busy.size(), lost,
      stream_secs < 0 ? "timeout" : fixed2(stream_secs).c_str(),
      stream_secs < 0 ? 0.0 : static_cast<double>(count) * static_cast<double>(size) / stream_secs,
      c.nodedowns.load());
  return 0;
}

// ---- slow ----

long status_kib(const char* key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  const std::string prefix = std::string(key) + ":";
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return std::stol(line.substr(prefix.size()));
  }
  return -1;
}

int slow(const Args& a) {
  Client c;
  if (!c.start(a)) return 1;
  const std::string& peer = a.positional[0];
  const size_t size = std::stoul(a.positional[1]);
  const int64_t total = std::stoll(a.positional[2]) << 20;
  const auto duration = std::chrono::seconds(std::stoll(a.positional[3]));
  if (!c.reach(peer)) return 1;
  auto self = c.node->spawn();
  if (!self) return 1;
  const Term bin = Term::tuple({Term::atom("bin"), Term::binary(std::string(size, '\x07'))});
  const auto t0 = Clock::now();
  int64_t sent = 0;
  while (static_cast<int64_t>(sent * size) < total && Clock::now() - t0 < duration) {
    self->send("echo", peer, bin);
    ++sent;
  }
  const double send_secs = seconds_since(t0);
  while (Clock::now() - t0 < duration) std::this_thread::sleep_for(milliseconds(200));
  const int64_t first_down = c.first_down_ms.load();
  std::printf(
      "slow sent=%lld send_secs=%.2f nodedowns=%d first_down_at=%s peak_rss_kib=%ld "
      "end_rss_kib=%ld connections=%llu\n",
      static_cast<long long>(sent), send_secs, c.nodedowns.load(),
      first_down < 0 ? "-" : fixed2(static_cast<double>(first_down) / 1000.0).c_str(),
      status_kib("VmHWM"), status_kib("VmRSS"),
      static_cast<unsigned long long>(c.node->stats().connections));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: load_bench echo    --name N --cookie C SERVER COUNT WINDOW DURATION "
                 "REPORT\n"
                 "       load_bench latency --name N --cookie C SERVER IDLE_PINGS COUNT SIZE\n"
                 "       load_bench slow    --name N --cookie C --peer-port P --listen-port L "
                 "PEER SIZE TOTAL_MIB DURATION\n");
    return 2;
  }
  if (args.mode == "echo") return echo(args);
  if (args.mode == "latency") return latency(args);
  return slow(args);
}
