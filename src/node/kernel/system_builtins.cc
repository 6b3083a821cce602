// erlang:memory/0,1, system_info/1, statistics/1, system_time/0,1 and
// monotonic_time/0,1 of a beamlink node: real figures of the OS process
// where there are some, mapped onto the keys Erlang's tools ask for.
//
// memory (bytes):
//   total       resident set size of the OS process (/proc/self/statm)
//   processes, processes_used   an estimate for the beamlink processes: each
//               process record plus one Term per queued message
//   system      total - processes: everything else (code, libraries, the
//               distribution's buffers, the application's own heap)
//   code        the text (program code) pages of the OS process
//   atom, atom_used, binary, ets   0: beamlink has no atom table, no
//               separately accounted binary heap and no ETS
// system_info: process_count, otp_release ("25", see
//   kOtpRelease), version and system_version (beamlink's own), schedulers and
//   schedulers_online (worker threads), logical_processors[_online|_available]
//   (hardware threads), thread_pool_size (distribution I/O threads),
//   wordsize, port_count (0); anything else is badarg.
// statistics: wall_clock and runtime ({Total, SinceLastCall} in ms; runtime
//   is the OS process's user + system CPU time), run_queue,
//   total_run_queue_lengths[_all], total_active_tasks[_all] (processes with
//   queued messages), context_switches ({voluntary + involuntary, 0}),
//   reductions and exact_reductions ({0, 0}: nothing counts reductions),
//   garbage_collection ({0, 0, 0}: no garbage collector); else badarg.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "node/kernel/builtins.h"
#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink::node::kernel {

namespace {

// The release whose distribution protocol beamlink speaks in full and is
// tested against (Debian's OTP 25); it also talks to 26 and 27 peers, but a
// tool gating features on otp_release should assume only what 25 has.
constexpr std::string_view kOtpRelease = "25";
constexpr std::string_view kVersion = "0.1.0";  // CMakeLists.txt project(VERSION)

CallResult badarg() {
  return CallResult::error(atom("badarg"));
}

Term u64(uint64_t v) {
  return Term(v);
}

// ---- memory ----

struct Statm {
  uint64_t resident = 0;
  uint64_t text = 0;
};

Statm read_statm() {
  Statm s;
  std::ifstream in("/proc/self/statm");
  uint64_t size = 0;
  uint64_t shared = 0;
  if (in >> size >> s.resident >> shared >> s.text) {
    uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    s.resident *= page;
    s.text *= page;
  }
  return s;
}

uint64_t process_bytes(Runtime& runtime) {
  uint64_t bytes = 0;
  for (const Pid& pid : runtime.process_pids()) {
    bytes += sizeof(ProcessState);
    if (auto p = runtime.process_snapshot(pid)) bytes += p->message_queue_len * sizeof(Term);
  }
  return bytes;
}

std::optional<uint64_t> memory_of(std::string_view type, const Statm& statm, uint64_t processes) {
  if (type == "total") return statm.resident;
  if (type == "processes" || type == "processes_used") return processes;
  if (type == "system") return statm.resident > processes ? statm.resident - processes : 0;
  if (type == "code") return statm.text;
  if (type == "atom" || type == "atom_used" || type == "binary" || type == "ets") return 0;
  return std::nullopt;
}

CallResult memory(Runtime& runtime, const std::vector<Term>& args) {
  static constexpr std::string_view kAll[] = {"total",  "processes", "processes_used",
                                              "system", "atom",      "atom_used",
                                              "binary", "code",      "ets"};
  std::vector<std::string> types;
  bool single = args.size() == 1 && args[0].is<Atom>();
  if (args.empty()) {
    types.assign(std::begin(kAll), std::end(kAll));
  } else if (single) {
    types = {args[0].as<Atom>().name};
  } else if (const std::vector<Term>* list = proper_list(args[0])) {
    for (const Term& t : *list) {
      if (!t.is<Atom>()) return badarg();
      types.push_back(t.as<Atom>().name);
    }
  } else {
    return badarg();
  }
  Statm statm = read_statm();
  uint64_t processes = process_bytes(runtime);
  std::vector<Term> out;
  for (const std::string& type : types) {
    auto bytes = memory_of(type, statm, processes);
    if (!bytes) return badarg();
    if (single) return u64(*bytes);
    out.push_back(tuple(atom(type), u64(*bytes)));
  }
  return Term::list(std::move(out));
}

// ---- system_info ----

CallResult system_info(Runtime& runtime, const Term& item) {
  const Atom* a = item.get_if<Atom>();
  if (a == nullptr) return badarg();
  const std::string& n = a->name;
  unsigned hw = std::thread::hardware_concurrency();
  Term processors = hw == 0 ? atom("unknown") : Term(hw);
  if (n == "process_count") return u64(runtime.process_pids().size());
  if (n == "otp_release") return Term::string(kOtpRelease);
  if (n == "version") return Term::string(kVersion);
  if (n == "system_version") {
    return Term::string("beamlink " + std::string(kVersion) + " (a C++ node speaking OTP " +
                        std::string(kOtpRelease) + "'s distribution protocol)\n");
  }
  if (n == "schedulers" || n == "schedulers_online") {
    return Term(std::max(1u, runtime.options().worker_threads));
  }
  if (n == "logical_processors" || n == "logical_processors_online" ||
      n == "logical_processors_available") {
    return processors;
  }
  if (n == "thread_pool_size") return Term(std::max(1u, runtime.options().io_threads));
  if (n == "wordsize") return Term(static_cast<int64_t>(sizeof(void*)));
  if (n == "port_count") return Term(0);
  return badarg();
}

// ---- statistics ----

int64_t cpu_ms(rusage& usage) {
  auto ms = [](const timeval& t) { return int64_t{t.tv_sec} * 1000 + t.tv_usec / 1000; };
  return ms(usage.ru_utime) + ms(usage.ru_stime);
}

Term since_last(std::atomic<int64_t>& mark, int64_t total) {
  int64_t last = mark.exchange(total);
  return tuple(total, total - last);
}

CallResult statistics(Runtime& runtime, const Term& item) {
  const Atom* a = item.get_if<Atom>();
  if (a == nullptr) return badarg();
  const std::string& n = a->name;
  if (n == "wall_clock") {
    auto elapsed = std::chrono::steady_clock::now() - runtime.started_at();
    int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
    return since_last(runtime.statistics_marks().wall_clock_ms, ms);
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  if (n == "runtime") return since_last(runtime.statistics_marks().runtime_ms, cpu_ms(usage));
  if (n == "context_switches") {
    return tuple(static_cast<int64_t>(usage.ru_nvcsw + usage.ru_nivcsw), 0);
  }
  if (n == "run_queue" || n == "total_run_queue_lengths" || n == "total_run_queue_lengths_all" ||
      n == "total_active_tasks" || n == "total_active_tasks_all") {
    return u64(runtime.processes_with_messages());
  }
  if (n == "reductions" || n == "exact_reductions") return tuple(0, 0);
  if (n == "garbage_collection") return tuple(0, 0, 0);
  return badarg();
}

// ---- time ----

// Units per second for a time unit argument, or 0 if it is not one.
int64_t per_second(const Term& unit) {
  if (const int64_t* n = unit.get_if<int64_t>()) return *n > 0 ? *n : 0;
  const Atom* a = unit.get_if<Atom>();
  if (a == nullptr) return 0;
  const std::string& u = a->name;
  if (u == "second" || u == "seconds") return 1;
  if (u == "millisecond" || u == "milli_seconds") return 1'000;
  if (u == "microsecond" || u == "micro_seconds") return 1'000'000;
  if (u == "nanosecond" || u == "nano_seconds" || u == "native" || u == "perf_counter") {
    return 1'000'000'000;  // native is nanoseconds here
  }
  return 0;
}

template <class Clock>
CallResult time_in(const std::vector<Term>& args) {
  int64_t unit = args.empty() ? 1'000'000'000 : per_second(args[0]);
  if (unit == 0) return badarg();
  auto ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
  // ns * unit / 1e9 without overflow (both clocks are past their epoch here).
  constexpr int64_t kNs = 1'000'000'000;
  if (unit > kNs) return Term(static_cast<int64_t>(static_cast<long double>(ns) * unit / kNs));
  return Term(ns / kNs * unit + ns % kNs * unit / kNs);
}

}  // namespace

std::optional<CallResult> system_builtin(Runtime& runtime, std::string_view function,
                                         const std::vector<Term>& args) {
  const size_t arity = args.size();
  if (function == "memory" && arity <= 1) return memory(runtime, args);
  if (function == "system_info" && arity == 1) return system_info(runtime, args[0]);
  if (function == "statistics" && arity == 1) return statistics(runtime, args[0]);
  if (function == "system_time" && arity <= 1) return time_in<std::chrono::system_clock>(args);
  if (function == "monotonic_time" && arity <= 1) return time_in<std::chrono::steady_clock>(args);
  return std::nullopt;
}

}  // namespace beamlink::node::kernel
