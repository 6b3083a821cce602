// gen_server calls, casts and C++ servers between two in-memory nodes:
// replies (now and deferred), timeouts with no late reply left behind,
// noproc, noconnection, a crashing handler, casts and sys requests.
#include <atomic>
#include <mutex>
#include <thread>

#include "node/node_test_support.h"

namespace beamlink::testing {
namespace {

// A counter with a few requests: {add, N} -> new total; get -> total;
// {later, Key} -> deferred, answered by answer(Key, Value); boom -> throws.
class Counter final : public GenServer {
 public:
  Reply handle_call(const Term& request, const From& from) override {
    if (request.is_atom("get")) return Term(total_.load());
    if (request.is_atom("boom")) throw std::runtime_error("boom");
    if (request.is_atom("stop")) {
      stop(A("asked"));
      return A("stopping");
    }
    const Tuple* t = request.get_if<Tuple>();
    if (t != nullptr && t->elements.size() == 2 && t->elements[0].is_atom("add")) {
      total_ += t->elements[1].as<int64_t>();
      return Term(total_.load());
    }
    if (t != nullptr && t->elements.size() == 2 && t->elements[0].is_atom("later")) {
      std::lock_guard lock(mu_);
      waiting_.push_back(from);
      return Reply::later();
    }
    return T(A("unknown"), request);
  }
  void handle_cast(const Term& request) override {
    if (const Tuple* t = request.get_if<Tuple>(); t != nullptr && t->elements.size() == 2) {
      total_ += t->elements[1].as<int64_t>();
    }
  }
  void handle_info(const Term& message) override {
    std::lock_guard lock(mu_);
    infos_.push_back(message);
  }
  void terminate(const Term& reason) override {
    std::lock_guard lock(mu_);
    terminated_ = reason;
  }
  Term state() const override { return T(A("total"), total_.load()); }

  size_t waiting() {
    std::lock_guard lock(mu_);
    return waiting_.size();
  }
  void answer_all(Term value) {
    std::vector<From> all;
    {
      std::lock_guard lock(mu_);
      all.swap(waiting_);
    }
    for (const From& from : all) reply(from, value);
  }
  std::optional<Term> terminated() {
    std::lock_guard lock(mu_);
    return terminated_;
  }
  std::vector<Term> infos() {
    std::lock_guard lock(mu_);
    return infos_;
  }

 private:
  std::atomic<int64_t> total_{0};
  std::mutex mu_;
  std::vector<From> waiting_;
  std::vector<Term> infos_;
  std::optional<Term> terminated_;
};

class GenServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(a && b);
    auto pid = b->start_server(counter, {.register_as = "counter", .trap_exit = false});
    ASSERT_TRUE(pid) << pid.error().to_string();
    counter_pid = *pid;
  }
  FakeNetwork network;
  std::unique_ptr<Node> a = start_node(network, "a@host");
  std::unique_ptr<Node> b = start_node(network, "b@host");
  std::shared_ptr<Counter> counter = std::make_shared<Counter>();
  Pid counter_pid;
};

TEST_F(GenServerTest, RemoteLocalAndPidCallsReply) {
  const uint64_t processes = a->stats().processes;
  auto r = a->call(ServerRef::remote("counter", "b@host"), T(A("add"), 2), 2s);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, Term(2));
  r = a->call(counter_pid, T(A("add"), 3), 2s);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, Term(5));
  r = b->call(ServerRef::local("counter"), A("get"), 2s);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, Term(5));
  r = b->call(ServerRef::remote("counter", "b@host"), A("get"), 2s);
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, Term(5));
  EXPECT_EQ(b->gen_server_stats().calls_answered, 4u);
  EXPECT_EQ(a->gen_server_stats().calls_made, 2u);
  // The temporary callers are gone.
  EXPECT_TRUE(wait_until([&] { return a->stats().processes == processes; }));
}

TEST_F(GenServerTest, CallFromAProcessLeavesOtherMessagesInOrder) {
  auto self = a->spawn();
  ASSERT_TRUE(self);
  a->send(self->pid(), A("first"));
  auto r = a->call(*self, ServerRef::remote("counter", "b@host"), T(A("add"), 1), 2s);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, Term(1));
  a->send(self->pid(), A("second"));
  EXPECT_EQ(text(self->receive(1s)), "first");
  EXPECT_EQ(text(self->receive(1s)), "second");
  EXPECT_EQ(self->mailbox_size(), 0u);
}

TEST_F(GenServerTest, CallFromInsideAHandler) {
  auto sink = a->spawn();
  ASSERT_TRUE(sink);
  Pid sink_pid = sink->pid();
  Node* node = a.get();
  auto caller = a->spawn_handler([node, sink_pid](Process& self, Term message) {
    if (message.is_atom("go")) {
      auto r = node->call(self, ServerRef::remote("counter", "b@host"), T(A("add"), 7), 2s);
      self.send(sink_pid, r ? *r : A("failed"));
    } else {
      self.send(sink_pid, T(A("info"), message));  // messages around the call keep their order
    }
  });
  ASSERT_TRUE(caller);
  a->send(*caller, A("go"));
  a->send(*caller, A("next"));
  EXPECT_EQ(text(sink->receive(3s)), "7");
  EXPECT_EQ(text(sink->receive(3s)), "{info,next}");
}

TEST_F(GenServerTest, DeferredReplyFromAnotherThread) {
  std::thread answerer([&] {
    ASSERT_TRUE(wait_until([&] { return counter->waiting() == 1; }));
    counter->answer_all(A("done_later"));
  });
  auto r = a->call(ServerRef::remote("counter", "b@host"), T(A("later"), 1), 3s);
  answerer.join();
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, A("done_later"));
}

TEST_F(GenServerTest, TimeoutLeavesNoLateReplyBehind) {
  auto self = a->spawn();
  ASSERT_TRUE(self);
  auto r = a->call(*self, ServerRef::remote("counter", "b@host"), T(A("later"), 1), 100ms);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::timeout);
  EXPECT_EQ(r.error().reason, A("timeout"));
  ASSERT_EQ(counter->waiting(), 1u);
  uint64_t dropped = a->stats().dropped_unknown_alias;
  counter->answer_all(A("too_late"));
  // The reply reaches a and is dropped at the inactive alias.
  EXPECT_TRUE(wait_until([&] { return a->stats().dropped_unknown_alias == dropped + 1; }));
  EXPECT_EQ(self->mailbox_size(), 0u);
  EXPECT_FALSE(self->receive(50ms).has_value());
  // The process is still usable for the next call.
  auto again = a->call(*self, ServerRef::remote("counter", "b@host"), A("get"), 2s);
  ASSERT_TRUE(again) << again.error().to_string();
}

TEST_F(GenServerTest, NoprocForEveryKindOfMissingServer) {
  auto r = a->call(ServerRef::remote("nobody", "b@host"), A("get"), 2s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::noproc);
  r = b->call(ServerRef::local("nobody"), A("get"), 2s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::noproc);
  auto gone = b->spawn();
  Pid gone_pid = gone->pid();
  gone->exit(A("normal"));
  r = a->call(gone_pid, A("get"), 2s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::noproc);
  // No global service on this branch: every global name is unregistered.
  r = a->call(ServerRef::global("counter"), A("get"), 2s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::noproc);
  EXPECT_EQ(r.error().reason, A("noproc"));
}

TEST_F(GenServerTest, UnreachableNodeIsNoconnection) {
  auto r = a->call(ServerRef::remote("counter", "nowhere@host"), A("get"), 2s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::noconnection);
  EXPECT_EQ(r.error().reason, T(A("nodedown"), A("nowhere@host")));
}

TEST_F(GenServerTest, CallingSelfIsRefused) {
  auto self = b->spawn({.trap_exit = false, .register_as = "me"});
  ASSERT_TRUE(self);
  auto r = b->call(*self, ServerRef::local("me"), A("get"), 2s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::calling_self);
}

TEST_F(GenServerTest, CrashingHandlerExitsTheServerAndCallersSeeTheReason) {
  auto watcher = a->spawn();
  Reference mref = watcher->monitor(counter_pid);
  auto r = a->call(ServerRef::remote("counter", "b@host"), A("boom"), 2s);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, CallFailure::exited);
  Term reason = T(A("cpp_exception"), Term::binary("boom"));
  EXPECT_EQ(r.error().reason, reason);
  EXPECT_EQ(text(watcher->receive(2s)),
            text(T(A("DOWN"), mref, A("process"), counter_pid, reason)));
  EXPECT_EQ(counter->terminated(), reason);
  EXPECT_EQ(b->gen_server_stats().crashes, 1u);
  EXPECT_FALSE(b->whereis("counter"));
  // The node lives on: a new server under the same name answers.
  auto again = b->start_server(std::make_shared<Counter>(), {.register_as = "counter"});
  ASSERT_TRUE(again) << again.error().to_string();
  auto ok = a->call(ServerRef::remote("counter", "b@host"), A("get"), 2s);
  ASSERT_TRUE(ok) << ok.error().to_string();
}

TEST_F(GenServerTest, StopRepliesThenTerminates) {
  auto r = a->call(ServerRef::remote("counter", "b@host"), A("stop"), 2s);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, A("stopping"));
  EXPECT_TRUE(wait_until([&] { return !b->alive(counter_pid); }));
  EXPECT_EQ(counter->terminated(), A("asked"));
}

TEST_F(GenServerTest, CastsAndInfoReachTheServer) {
  a->cast(ServerRef::remote("counter", "b@host"), T(A("add"), 4));
  a->cast(counter_pid, T(A("add"), 6));
  a->send(counter_pid, A("plain"));
  a->cast(ServerRef::remote("nobody", "b@host"), A("lost"));  // never fails
  a->cast(ServerRef::global("nobody"), A("lost"));
  auto r = a->call(counter_pid, A("get"), 2s);
  ASSERT_TRUE(r) << r.error().to_string();
  EXPECT_EQ(*r, Term(10));
  EXPECT_EQ(b->gen_server_stats().casts_received, 2u);
  EXPECT_TRUE(wait_until([&] { return counter->infos().size() == 1; }));
  EXPECT_EQ(counter->infos()[0], A("plain"));
}

TEST_F(GenServerTest, SysGetStateGetStatusAndOtherRequests) {
  ASSERT_TRUE(a->call(counter_pid, T(A("add"), 9), 2s));
  auto self = a->spawn();
  auto sys = [&](Term request) {
    Reference tag = a->make_ref();
    self->send("counter", "b@host", T(A("system"), T(self->pid(), tag), std::move(request)));
    Term tag_term(tag);
    auto answer = self->receive_if(
        [&](const Term& m) {
          const Tuple* t = m.get_if<Tuple>();
          return t != nullptr && t->elements.size() == 2 && t->elements[0] == tag_term;
        },
        2s);
    return answer ? answer->as<Tuple>().elements[1] : A("no_answer");
  };
  EXPECT_EQ(text(sys(A("get_state"))), "{total,9}");
  Term status = sys(A("get_status"));
  const Tuple* s = status.get_if<Tuple>();
  ASSERT_TRUE(s != nullptr && s->elements.size() == 4) << text(status);
  EXPECT_EQ(s->elements[0], A("status"));
  EXPECT_EQ(s->elements[1], Term(counter_pid));
  EXPECT_EQ(text(s->elements[2]), "{module,gen_server}");
  EXPECT_NE(text(status).find("{data,[{\"State\",{total,9}}]}"), std::string::npos) << text(status);
  EXPECT_EQ(text(sys(A("suspend"))), "{error,{unknown_system_msg,suspend}}");
  EXPECT_EQ(text(sys(T(A("terminate"), A("bye")))), "ok");
  EXPECT_TRUE(wait_until([&] { return !b->alive(counter_pid); }));
  EXPECT_EQ(counter->terminated(), A("bye"));
}

class Failing final : public GenServer {
 public:
  void init(const Pid&) override { throw std::runtime_error("no config"); }
  Reply handle_call(const Term&, const From&) override { return A("never"); }
};

TEST_F(GenServerTest, StartServerReportsInitFailureAndTakenNames) {
  auto failed = b->start_server(std::make_shared<Failing>(), {.register_as = "failing"});
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("no config"), std::string::npos);
  EXPECT_FALSE(b->whereis("failing"));
  auto taken = b->start_server(std::make_shared<Counter>(), {.register_as = "counter"});
  ASSERT_FALSE(taken);
  EXPECT_EQ(taken.error().code, Errc::invalid_argument);
}

}  // namespace
}  // namespace beamlink::testing
