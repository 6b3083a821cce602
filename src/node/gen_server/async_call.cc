// Node::call_async: gen:call from a temporary process that waits with
// async_receive, so no thread blocks (what a handler or a GenServer
// callback should use to call another server).
#include <asio/post.hpp>
#include <exception>
#include <utility>

#include "node/gen_server/service.h"
#include "node/runtime.h"
#include "node/stats.h"
#include "node/terms.h"

namespace beamlink::node {

namespace {

void run_callback(Runtime& runtime, CallCallback& done, CallReply outcome) {
  try {
    done(std::move(outcome));
  } catch (const std::exception& e) {
    runtime.log(LogLevel::error, std::string("call_async callback threw: ") + e.what());
  } catch (...) {
    runtime.log(LogLevel::error, "call_async callback threw");
  }
}

struct AsyncCall : std::enable_shared_from_this<AsyncCall> {
  std::shared_ptr<Runtime> runtime;
  Process self;
  PendingCall call;
  Mailbox::Clock::time_point deadline;
  CallCallback done;

  void wait() {
    std::chrono::milliseconds left = kInfinity;
    if (deadline != Mailbox::Clock::time_point::max()) {
      left = std::max(
          std::chrono::milliseconds(0),
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Mailbox::Clock::now()));
    }
    self.async_receive(left, [me = shared_from_this()](std::optional<Term> message) {
      me->received(std::move(message));
    });
  }

  void received(std::optional<Term> message) {
    if (message && !call.is_reply(*message) && !call.is_down(*message)) {
      wait();  // nothing else is expected here; keep waiting for the answer
      return;
    }
    CallReply outcome = finish_call(*runtime, self, call, std::move(message));
    self.exit(atom("normal"));
    run_callback(*runtime, done, std::move(outcome));
  }
};

}  // namespace

void GenServerService::call_async(const ServerRef& to, Term request,
                                  std::chrono::milliseconds timeout, CallCallback done) {
  bump(counters_->calls_made);
  auto fail_now = [this, &done](CallError error) {
    if (runtime_->stopped()) {
      run_callback(*runtime_, done, std::unexpected(std::move(error)));
      return;
    }
    asio::post(runtime_->io(),
               [runtime = runtime_, done = std::move(done), error = std::move(error)]() mutable {
                 run_callback(*runtime, done, std::unexpected(std::move(error)));
               });
  };
  auto state = runtime_->new_process({});
  if (!state) {
    fail_now(
        CallError{CallFailure::stopped, atom("shutdown"), "call: " + state.error().to_string()});
    return;
  }
  auto pending = std::make_shared<AsyncCall>();
  pending->runtime = runtime_;
  pending->self = runtime_->handle(std::move(*state));
  auto started = start_call(*runtime_, pending->self, resolver(), to, std::move(request));
  if (auto* error = std::get_if<CallError>(&started)) {
    fail_now(std::move(*error));
    return;
  }
  pending->call = std::move(std::get<PendingCall>(started));
  pending->deadline =
      timeout == kInfinity ? Mailbox::Clock::time_point::max() : Mailbox::Clock::now() + timeout;
  pending->done = std::move(done);
  pending->wait();
}

}  // namespace beamlink::node
