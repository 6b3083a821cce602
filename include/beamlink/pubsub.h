// beamlink/pubsub.h - a member of a Phoenix.PubSub (2.x, PG adapter)
// cluster: C++ code subscribes to topics and broadcasts to the Elixir
// application's subscribers, and beamlink-only clusters use the same
// mechanism among themselves.
//
// What it speaks (Phoenix.PubSub.PG2 of phoenix_pubsub 2.x):
//  * pg scope `Elixir.Phoenix.PubSub`; one group per pool slot, named after
//    the adapter: for PubSub `MyApp.PubSub` the atom
//    'Elixir.MyApp.PubSub.Adapter', then '..._2' up to '..._N' when
//    pool_size is N > 1 (pool_size must match the Elixir side's).
//  * for each group a worker process registered locally under the group's
//    name and joined to the group; it takes
//    {forward_to_local, Topic, Message, Dispatcher} and delivers Message to
//    this node's subscribers of Topic.
//  * broadcast: {forward_to_local, Topic, Message, 'Elixir.Phoenix.PubSub'}
//    to every member of one group on other nodes, plus local delivery;
//    direct_broadcast: the same to {Group, Node} only.
//
// Contract:
//  * Topics are Elixir strings (binaries); messages any term.
//  * A subscriber is a local pid (it gets Message as a plain message) or a
//    callback (it gets the topic and Message). Callbacks run on a node
//    worker thread, one delivery at a time per worker; an exception from a
//    callback is caught and counted (callback_errors()).
//  * The Dispatcher named in a forward_to_local cannot run here (it is
//    Elixir code): every message is delivered as Phoenix.PubSub's default
//    dispatcher delivers it, to every subscriber of the topic.
//  * A pid subscription ends by unsubscribe() or when the pid exits.
//  * Thread safety: every member may be called from any thread.
//  * Ownership: the PubSub must be destroyed (or stop()ped) before its
//    Node; stop() ends the workers, so peers drop them from the groups.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "beamlink/result.h"
#include "beamlink/term.h"

namespace beamlink {

class Node;

class PubSub {
 public:
  using Handler = std::function<void(std::string_view topic, const Term& message)>;

  // Joins PubSub `name` ("MyApp.PubSub", with or without the "Elixir."
  // prefix) with `pool_size` workers. Errc::invalid_argument if a worker
  // name is taken on this node (the same PubSub started twice).
  static Result<std::unique_ptr<PubSub>> start(Node& node, std::string_view name,
                                               unsigned pool_size = 1);
  virtual ~PubSub() = default;

  // Returns an id for unsubscribe.
  virtual Result<uint64_t> subscribe(std::string_view topic, Handler handler) = 0;
  virtual Result<uint64_t> subscribe(std::string_view topic, const Pid& local_pid) = 0;
  virtual bool unsubscribe(uint64_t id) = 0;
  // How many subscriptions this node has to `topic`.
  virtual size_t local_subscribers(std::string_view topic) const = 0;

  // To every subscriber of `topic` in the cluster, this node's included.
  virtual Result<void> broadcast(std::string_view topic, Term message) = 0;
  // To this node's subscribers only.
  virtual Result<void> local_broadcast(std::string_view topic, Term message) = 0;
  // To the subscribers on `node` only.
  virtual Result<void> direct_broadcast(std::string_view node, std::string_view topic,
                                        Term message) = 0;

  // The adapter's group names ('Elixir.MyApp.PubSub.Adapter', ...).
  virtual const std::vector<std::string>& groups() const = 0;
  virtual uint64_t callback_errors() const = 0;
  virtual void stop() = 0;
};

}  // namespace beamlink
