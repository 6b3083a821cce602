// beamlink::Node: the public face of a Runtime.
#include <utility>

#include "beamlink/node.h"
#include "beamlink/pg.h"
#include "node/node_testing.h"
#include "node/pg/pg_service.h"
#include "node/runtime.h"
#include "node/services.h"

namespace beamlink {

namespace {

class NodeImpl final : public Node {
 public:
  NodeImpl(std::shared_ptr<node::Runtime> runtime, std::shared_ptr<node::Services> services)
      : rt_(std::move(runtime)), services_(std::move(services)) {}
  ~NodeImpl() override { stop(); }

  const std::string& name() const override { return rt_->name(); }
  uint32_t creation() const override { return rt_->creation(); }
  uint16_t listen_port() const override { return rt_->listen_port(); }

  Result<Process> spawn(const SpawnOptions& options) override {
    auto state = rt_->new_process(with_default_limit(options));
    if (!state) return std::unexpected(state.error());
    return rt_->handle(std::move(*state));
  }

  Result<Pid> spawn_handler(MessageHandler handler, const SpawnOptions& options) override {
    if (!handler) return fail(Errc::invalid_argument, "spawn_handler: empty handler");
    auto state = rt_->new_process(with_default_limit(options), std::move(handler));
    if (!state) return std::unexpected(state.error());
    return (*state)->pid;
  }

  // A user's process without a mailbox limit of its own gets the node's.
  SpawnOptions with_default_limit(SpawnOptions options) const {
    if (!options.max_mailbox) options.max_mailbox = rt_->options().max_mailbox;
    return options;
  }

  bool alive(const Pid& pid) const override {
    auto state = rt_->find_local(pid);
    return state != nullptr && state->alive;
  }

  Result<void> register_name(std::string_view name, const Pid& pid) override {
    auto state = rt_->find_local(pid);
    if (state == nullptr) {
      return fail(Errc::invalid_argument, "register: not a live process of this node");
    }
    return rt_->table().register_name(name, state);
  }
  bool unregister_name(std::string_view name) override {
    return rt_->table().unregister_name(name);
  }
  std::optional<Pid> whereis(std::string_view name) const override {
    auto state = rt_->table().whereis(name);
    if (state == nullptr) return std::nullopt;
    return state->pid;
  }
  std::vector<std::string> registered() const override { return rt_->table().names(); }

  SendResult send(const Pid& to, Term message) override {
    return rt_->send(rt_->anonymous_pid(), to, std::move(message), false);
  }
  SendResult send(std::string_view name, std::string_view node, Term message) override {
    return rt_->send_named(rt_->anonymous_pid(), name, node, std::move(message));
  }
  SendResult send_alias(const Reference& alias, Term message) override {
    return rt_->send_alias(rt_->anonymous_pid(), alias, std::move(message));
  }
  SendResult send_nosuspend(const Pid& to, Term message) override {
    return rt_->send(rt_->anonymous_pid(), to, std::move(message), false, true);
  }
  SendResult send_nosuspend(std::string_view name, std::string_view node, Term message) override {
    return rt_->send_named(rt_->anonymous_pid(), name, node, std::move(message), true);
  }
  void exit(const Pid& pid, Term reason) override {
    rt_->exit_signal(rt_->anonymous_pid(), pid, std::move(reason));
  }
  Reference make_ref() override { return rt_->make_ref(); }

  Result<void> connect(std::string_view node) override { return rt_->connect(node); }
  void connect_async(std::string_view node, std::function<void(Result<void>)> done) override {
    rt_->connect_async(node, std::move(done));
  }
  void disconnect(std::string_view node) override { rt_->disconnect(node); }
  std::vector<std::string> nodes(NodeKind kind) const override { return rt_->nodes(kind); }
  bool ping(std::string_view node, std::chrono::milliseconds timeout) override {
    return rt_->ping(node, timeout);
  }
  Result<Term> rpc(std::string_view node, std::string_view module, std::string_view function,
                   std::vector<Term> args, std::chrono::milliseconds timeout) override {
    return rt_->rpc(node, module, function, std::move(args), timeout);
  }
  void register_function(std::string_view module, std::string_view function,
                         RpcFunction fn) override {
    rt_->register_function(module, function, std::move(fn));
  }

  uint64_t subscribe_node_events(NodeEventHandler handler) override {
    return rt_->subscribe_node_events(std::move(handler));
  }
  void unsubscribe_node_events(uint64_t id) override { rt_->unsubscribe_node_events(id); }
  Result<void> monitor_nodes(const Pid& pid, bool on) override {
    return rt_->monitor_nodes(pid, on);
  }

  ProcessGroups& pg() override { return services_->pg->default_scope(); }
  Result<ProcessGroups*> pg(std::string_view scope) override { return services_->pg->scope(scope); }
  CallReply call(const ServerRef& to, Term request, std::chrono::milliseconds timeout) override {
    return services_->gen_server->call(to, std::move(request), timeout);
  }
  CallReply call(Process& self, const ServerRef& to, Term request,
                 std::chrono::milliseconds timeout) override {
    return services_->gen_server->call(self, to, std::move(request), timeout);
  }
  void call_async(const ServerRef& to, Term request, std::chrono::milliseconds timeout,
                  CallCallback done) override {
    services_->gen_server->call_async(to, std::move(request), timeout, std::move(done));
  }
  void cast(const ServerRef& to, Term request) override {
    services_->gen_server->cast(to, std::move(request));
  }
  Result<Pid> start_server(std::shared_ptr<GenServer> server,
                           const ServerOptions& options) override {
    return services_->gen_server->start_server(std::move(server), options);
  }
  GenServerStats gen_server_stats() const override { return services_->gen_server->stats(); }

  NodeStats stats() const override { return rt_->stats(); }
  NodeMetrics metrics() const override {
    NodeMetrics out = rt_->metrics();
    if (services_->pg) out.scopes = services_->pg->metrics();
    return out;
  }
  Global& global() override { return *services_->global; }
  void stop() override {
    services_->stop();
    rt_->stop();
  }

 private:
  std::shared_ptr<node::Runtime> rt_;
  std::shared_ptr<node::Services> services_;
};

}  // namespace

Result<std::unique_ptr<Node>> Node::start(NodeOptions options) {
  return node::start_node(std::move(options), nullptr);
}

Result<std::unique_ptr<Node>> node::start_node(NodeOptions options, DistributionFactory factory) {
  auto services = std::make_shared<node::Services>();
  auto runtime = node::Runtime::start(
      std::move(options),
      [&services](const std::shared_ptr<node::Runtime>& rt) { return services->start(rt); },
      std::move(factory));
  if (!runtime) return std::unexpected(runtime.error());
  return std::unique_ptr<Node>(std::make_unique<NodeImpl>(std::move(*runtime), services));
}

}  // namespace beamlink
