// beamlink::Process: a thin handle over a ProcessState; the work happens
// in the Runtime.
#include "beamlink/process.h"

#include <utility>

#include "node/runtime.h"
#include "node/terms.h"

namespace beamlink {

namespace {

node::Mailbox::Clock::time_point deadline_after(std::chrono::milliseconds timeout) {
  using Clock = node::Mailbox::Clock;
  if (timeout == kInfinity) return Clock::time_point::max();
  if (timeout.count() < 0) return Clock::now();
  return Clock::now() + timeout;
}

}  // namespace

Process::Process(Process&& other) noexcept
    : runtime_(std::move(other.runtime_)), state_(std::move(other.state_)) {}

Process& Process::operator=(Process&& other) noexcept {
  if (this != &other) {
    if (state_ != nullptr) exit(atom("normal"));
    runtime_ = std::move(other.runtime_);
    state_ = std::move(other.state_);
  }
  return *this;
}

Process::~Process() {
  if (state_ != nullptr && state_->alive) runtime_->exit_process(state_, atom("normal"));
}

void Process::release() {
  runtime_.reset();
  state_.reset();
}

const Pid& Process::pid() const {
  return state_->pid;
}

bool Process::alive() const {
  return state_ != nullptr && state_->alive;
}

std::optional<Term> Process::exit_reason() const {
  if (state_ == nullptr) return std::nullopt;
  std::lock_guard lock(state_->mu);
  return state_->exit_reason;
}

std::optional<Term> Process::receive(std::chrono::milliseconds timeout) {
  if (state_ == nullptr) return std::nullopt;
  return state_->mailbox.pop(deadline_after(timeout));
}

std::optional<Term> Process::receive_if(const Match& match, std::chrono::milliseconds timeout) {
  if (state_ == nullptr) return std::nullopt;
  return state_->mailbox.pop_if(match, deadline_after(timeout));
}

void Process::async_receive(std::chrono::milliseconds timeout, ReceiveHandler done) {
  if (state_ == nullptr) {
    done(std::nullopt);
    return;
  }
  runtime_->async_receive(state_, timeout, std::move(done));
}

size_t Process::mailbox_size() const {
  return state_ == nullptr ? 0 : state_->mailbox.size();
}

SendResult Process::send(const Pid& to, Term message) {
  if (state_ == nullptr) return SendResult::dropped;
  return runtime_->send(state_->pid, to, std::move(message));
}

SendResult Process::send(std::string_view name, std::string_view node, Term message) {
  if (state_ == nullptr) return SendResult::dropped;
  return runtime_->send_named(state_->pid, name, node, std::move(message));
}

SendResult Process::send_alias(const Reference& alias, Term message) {
  if (state_ == nullptr) return SendResult::dropped;
  return runtime_->send_alias(state_->pid, alias, std::move(message));
}

SendResult Process::send_nosuspend(const Pid& to, Term message) {
  if (state_ == nullptr) return SendResult::dropped;
  return runtime_->send(state_->pid, to, std::move(message), true, true);
}

SendResult Process::send_nosuspend(std::string_view name, std::string_view node, Term message) {
  if (state_ == nullptr) return SendResult::dropped;
  return runtime_->send_named(state_->pid, name, node, std::move(message), true);
}

void Process::link(const Pid& other) {
  if (state_ != nullptr) runtime_->link(state_, other);
}

void Process::unlink(const Pid& other) {
  if (state_ != nullptr) runtime_->unlink(state_, other);
}

Reference Process::monitor(const Pid& target) {
  return runtime_->monitor(state_, target);
}

Reference Process::monitor(std::string_view name, std::string_view node) {
  return runtime_->monitor_name(state_, name, node);
}

void Process::demonitor(const Reference& monitor_ref) {
  if (state_ != nullptr) runtime_->demonitor(state_, monitor_ref);
}

void Process::trap_exit(bool on) {
  if (state_ == nullptr) return;
  std::lock_guard lock(state_->mu);
  state_->trap_exit = on;
}

bool Process::trapping_exits() const {
  if (state_ == nullptr) return false;
  std::lock_guard lock(state_->mu);
  return state_->trap_exit;
}

void Process::exit_signal(const Pid& to, Term reason) {
  if (state_ != nullptr) runtime_->exit_signal(state_->pid, to, std::move(reason));
}

void Process::exit(Term reason) {
  if (state_ != nullptr) runtime_->exit_process(state_, std::move(reason));
}

Reference Process::alias() {
  return runtime_->create_alias(state_);
}

void Process::unalias(const Reference& alias) {
  if (state_ != nullptr) runtime_->remove_alias(state_, alias);
}

}  // namespace beamlink
