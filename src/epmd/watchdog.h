// watchdog.h - a timeout that runs beside an asynchronous operation.
//
// The watchdog calls on_expire once, on the executor, if it is still armed
// when the timeout passes; on_expire typically closes the socket the work is
// blocked on, which makes that work complete with an error. disarm() (or the
// destructor) guarantees on_expire will not run afterwards, so on_expire may
// capture references to objects that live no longer than the watchdog.
// REQUIRES: the executor runs handlers on one thread at a time (an
// io_context run by one thread, or a strand), the thread that owns this.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace beamlink::epmd {

class Watchdog {
 public:
  Watchdog(const asio::any_io_executor& executor, std::chrono::milliseconds timeout,
           std::function<void()> on_expire)
      : state_(std::make_shared<State>()), timer_(executor, timeout) {
    state_->on_expire = std::move(on_expire);
    timer_.async_wait([state = state_](const asio::error_code& ec) {
      if (ec || !state->armed) return;
      state->armed = false;
      state->expired = true;
      auto action = std::move(state->on_expire);
      if (action) action();
    });
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() { disarm(); }

  void disarm() {
    state_->armed = false;
    state_->on_expire = nullptr;
    timer_.cancel();
  }
  bool expired() const { return state_->expired; }

 private:
  struct State {
    bool armed = true;
    bool expired = false;
    std::function<void()> on_expire;
  };
  std::shared_ptr<State> state_;
  asio::steady_timer timer_;
};

}  // namespace beamlink::epmd
