// The erlang: built-ins an operator calls on a beamlink node through rpc:
// real values from the runtime, badarg where Erlang's BIF would raise it.
#include <algorithm>
#include <chrono>

#include "node/kernel/rex_fixture.h"

namespace beamlink::testing {
namespace {

using BuiltinsTest = RexFixture;

Term list(std::vector<Term> items) {
  return Term::list(std::move(items));
}

bool contains(const Term& l, const Term& item) {
  const auto* items = l.get_if<List>();
  return items != nullptr &&
         std::find(items->elements.begin(), items->elements.end(), item) != items->elements.end();
}

// The value of Key in a proplist [{Key, Value}], or nullopt.
std::optional<Term> lookup(const Term& proplist, std::string_view key) {
  const auto* items = proplist.get_if<List>();
  if (items == nullptr) return std::nullopt;
  for (const Term& item : items->elements) {
    const auto* t = item.get_if<Tuple>();
    if (t != nullptr && t->elements.size() == 2 && t->elements[0].is_atom(key)) {
      return t->elements[1];
    }
  }
  return std::nullopt;
}

int64_t integer(const std::optional<Term>& t) {
  return t && t->is<int64_t>() ? t->as<int64_t>() : -1;
}

TEST_F(BuiltinsTest, ProcessesAndRegistered) {
  auto worker = node->spawn({.register_as = "worker"});
  ASSERT_TRUE(worker);
  auto processes = call("erlang", "processes", {});
  ASSERT_TRUE(processes);
  EXPECT_TRUE(contains(*processes, worker->pid()));
  EXPECT_TRUE(contains(*processes, *node->whereis("rex")));
  EXPECT_EQ(processes->as<List>().elements.size(), node->stats().processes);
  // Every registered name of the node (the kernel's and the services' too),
  // the new one among them.
  std::vector<std::string> names = node->registered();
  std::sort(names.begin(), names.end());
  std::vector<Term> expected;
  for (const std::string& name : names) expected.push_back(A(name));
  auto registered = call("erlang", "registered", {});
  ASSERT_TRUE(registered);
  std::vector<Term> got = registered->as<List>().elements;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, expected);
  for (const char* name : {"net_kernel", "rex", "worker"})
    EXPECT_TRUE(contains(*registered, A(name)));
  EXPECT_EQ(call("erlang", "is_alive", {}), A("true"));
  EXPECT_EQ(call("erlang", "processes", {Term(1)}),
            T(A("badrpc"),
              T(A("EXIT"),
                T(A("undef"), list({T(A("erlang"), A("processes"), list({Term(1)}), list({}))})))));
}

TEST_F(BuiltinsTest, ProcessInfoOfALiveProcess) {
  auto worker = node->spawn({.register_as = "worker"});
  ASSERT_TRUE(worker);
  worker->send(worker->pid(), A("one"));
  worker->send(worker->pid(), A("two"));
  worker->link(caller);
  worker->monitor(caller);
  Reference watch{Atom("erl@host"), 7, {55, 0, 1}};
  peer->inject(T(dist::MONITOR_P, caller, worker->pid(), watch));
  auto info = call("erlang", "process_info", {worker->pid()});
  ASSERT_TRUE(info);
  ASSERT_TRUE(info->is<List>()) << text(info);
  EXPECT_EQ(info->as<List>().elements.front(), T(A("registered_name"), A("worker")));
  EXPECT_EQ(lookup(*info, "message_queue_len"), Term(2));
  EXPECT_EQ(lookup(*info, "status"), A("runnable"));
  EXPECT_EQ(lookup(*info, "links"), list({caller}));
  EXPECT_EQ(lookup(*info, "dictionary"), list({}));
  EXPECT_EQ(lookup(*info, "trap_exit"), A("false"));
  EXPECT_EQ(lookup(*info, "current_function"), A("undefined"));

  EXPECT_EQ(call("erlang", "process_info", {worker->pid(), A("message_queue_len")}),
            T(A("message_queue_len"), 2));
  EXPECT_TRUE(wait_until([&] {
    return call("erlang", "process_info", {worker->pid(), A("monitored_by")}) ==
           T(A("monitored_by"), list({caller}));
  }));
  EXPECT_EQ(call("erlang", "process_info",
                 {worker->pid(), list({A("monitors"), A("registered_name"), A("memory")})})
                ->as<List>()
                .elements.size(),
            3u);
  EXPECT_EQ(
      lookup(*call("erlang", "process_info", {worker->pid(), list({A("monitors")})}), "monitors"),
      list({T(A("process"), caller)}));
  EXPECT_EQ(call("erlang", "process_info", {worker->pid(), list({})}), list({}));
  (void)worker->receive(1s);
  (void)worker->receive(1s);
  EXPECT_EQ(call("erlang", "process_info", {worker->pid(), A("status")}),
            T(A("status"), A("waiting")));
}

TEST_F(BuiltinsTest, ProcessInfoEdgeCases) {
  auto plain = node->spawn(trapping());
  ASSERT_TRUE(plain);
  // Unregistered: [] for the single item, and no registered_name in /1.
  EXPECT_EQ(call("erlang", "process_info", {plain->pid(), A("registered_name")}), list({}));
  EXPECT_FALSE(lookup(*call("erlang", "process_info", {plain->pid()}), "registered_name"));
  EXPECT_EQ(call("erlang", "process_info", {plain->pid(), A("trap_exit")}),
            T(A("trap_exit"), A("true")));
  Pid dead = plain->pid();
  plain->exit(A("normal"));
  EXPECT_EQ(call("erlang", "process_info", {dead}), A("undefined"));
  EXPECT_EQ(call("erlang", "process_info", {dead, A("links")}), A("undefined"));
  // Another node's pid, an unknown item, a non-pid: badarg.
  EXPECT_EQ(call("erlang", "process_info", {caller}), badarg("process_info", {caller}));
  auto rex = *node->whereis("rex");
  EXPECT_EQ(call("erlang", "process_info", {rex, A("bogus")}),
            badarg("process_info", {rex, A("bogus")}));
  EXPECT_EQ(call("erlang", "process_info", {rex, list({A("links"), Term(3)})}),
            badarg("process_info", {rex, list({A("links"), Term(3)})}));
  EXPECT_EQ(call("erlang", "process_info", {A("rex")}), badarg("process_info", {A("rex")}));
}

TEST_F(BuiltinsTest, MemoryHasErlangsKeysWithRealTotals) {
  auto memory = call("erlang", "memory", {});
  ASSERT_TRUE(memory);
  std::vector<std::string> keys = {"total",     "processes", "processes_used", "system", "atom",
                                   "atom_used", "binary",    "code",           "ets"};
  ASSERT_EQ(memory->as<List>().elements.size(), keys.size()) << text(memory);
  for (size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(memory->as<List>().elements[i].as<Tuple>().elements[0], A(keys[i]));
  }
  int64_t total = integer(lookup(*memory, "total"));
  int64_t processes = integer(lookup(*memory, "processes"));
  EXPECT_GT(total, 1 << 20);  // a running test binary holds more than 1 MiB
  EXPECT_GT(processes, 0);
  EXPECT_EQ(integer(lookup(*memory, "system")), total - processes);
  EXPECT_GT(integer(lookup(*memory, "code")), 0);
  EXPECT_GT(integer(call("erlang", "memory", {A("total")})), 0);
  auto some = call("erlang", "memory", {list({A("code"), A("ets")})});
  ASSERT_TRUE(some);
  EXPECT_EQ(some->as<List>().elements.size(), 2u);
  EXPECT_EQ(lookup(*some, "ets"), Term(0));
  EXPECT_EQ(call("erlang", "memory", {A("bogus")}), badarg("memory", {A("bogus")}));
  EXPECT_EQ(call("erlang", "memory", {Term(1)}), badarg("memory", {Term(1)}));
}

TEST_F(BuiltinsTest, SystemInfo) {
  auto count = call("erlang", "system_info", {A("process_count")});
  EXPECT_EQ(integer(count), static_cast<int64_t>(node->stats().processes));
  EXPECT_EQ(call("erlang", "system_info", {A("otp_release")}), Term::string("25"));
  EXPECT_EQ(call("erlang", "system_info", {A("schedulers")}), Term(2));  // worker_threads
  EXPECT_EQ(call("erlang", "system_info", {A("thread_pool_size")}), Term(1));
  EXPECT_EQ(call("erlang", "system_info", {A("wordsize")}), Term(8));
  auto cpus = call("erlang", "system_info", {A("logical_processors")});
  EXPECT_TRUE(integer(cpus) >= 1 || cpus == A("unknown")) << text(cpus);
  EXPECT_TRUE(call("erlang", "system_info", {A("version")})->is<List>());
  EXPECT_EQ(call("erlang", "system_info", {A("bogus")}), badarg("system_info", {A("bogus")}));
  EXPECT_EQ(call("erlang", "system_info", {Term(1)}), badarg("system_info", {Term(1)}));
}

TEST_F(BuiltinsTest, Statistics) {
  auto first = call("erlang", "statistics", {A("wall_clock")});
  auto second = call("erlang", "statistics", {A("wall_clock")});
  ASSERT_TRUE(first && second);
  int64_t total1 = first->as<Tuple>().elements[0].as<int64_t>();
  int64_t total2 = second->as<Tuple>().elements[0].as<int64_t>();
  EXPECT_GE(total2, total1);
  EXPECT_EQ(second->as<Tuple>().elements[1].as<int64_t>(), total2 - total1);
  auto runtime = call("erlang", "statistics", {A("runtime")});
  ASSERT_TRUE(runtime && runtime->is<Tuple>());
  EXPECT_GE(runtime->as<Tuple>().elements[0].as<int64_t>(), 0);
  auto worker = node->spawn();
  worker->send(worker->pid(), A("queued"));
  EXPECT_GE(integer(call("erlang", "statistics", {A("run_queue")})), 1);
  EXPECT_GE(integer(call("erlang", "statistics", {A("total_active_tasks")})), 1);
  EXPECT_EQ(call("erlang", "statistics", {A("reductions")}), T(0, 0));
  EXPECT_EQ(call("erlang", "statistics", {A("bogus")}), badarg("statistics", {A("bogus")}));
}

TEST_F(BuiltinsTest, Time) {
  // The same clock the built-in reads (std::time may use a coarser one
  // that lags it by a tick).
  auto seconds_now = [] {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  int64_t before = seconds_now();
  int64_t now = integer(call("erlang", "system_time", {A("second")}));
  int64_t after = seconds_now();
  EXPECT_GE(now, before);
  EXPECT_LE(now, after);
  int64_t ns = integer(call("erlang", "system_time", {}));
  EXPECT_GE(ns / 1'000'000'000, before);
  EXPECT_GE(integer(call("erlang", "system_time", {A("millisecond")})) / 1000, before);
  EXPECT_GE(integer(call("erlang", "system_time", {Term(1000)})) / 1000, before);
  int64_t m1 = integer(call("erlang", "monotonic_time", {}));
  int64_t m2 = integer(call("erlang", "monotonic_time", {}));
  EXPECT_LE(m1, m2);
  EXPECT_EQ(call("erlang", "system_time", {A("fortnight")}),
            badarg("system_time", {A("fortnight")}));
  EXPECT_EQ(call("erlang", "system_time", {Term(0)}), badarg("system_time", {Term(0)}));
}

TEST_F(BuiltinsTest, BuiltinsAlsoAnswerErpcSpawnRequests) {
  // erpc:call (and OTP 25's rpc:call) reach the same built-ins by spawn request.
  Reference req{Atom("erl@host"), 7, {1, 2, 3}};
  Reference res{Atom("erl@host"), 7, {4, 5, 6}};
  peer->inject(T(dist::SPAWN_REQUEST, req, caller, caller, T(A("erpc"), A("execute_call"), 4),
                 list({A("monitor")})),
               list({Term(res), A("erlang"), A("system_info"), list({A("otp_release")})}));
  auto down = peer->next_op(dist::PAYLOAD_MONITOR_P_EXIT);
  ASSERT_TRUE(down);
  EXPECT_EQ(down->payload, T(res, A("return"), Term::string("25")));
}

}  // namespace
}  // namespace beamlink::testing
