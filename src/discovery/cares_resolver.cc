// The c-ares DnsResolver, driven by the owner's io_context: c-ares reports
// the sockets it wants watched (ARES_OPT_SOCK_STATE_CB), asio waits on them
// without owning them, and readiness or c-ares's own retry timer calls
// ares_process_fd. Nothing blocks the io_context's thread.
//
// Each lookup also has a watchdog at the configured timeout, so it answers
// in time whatever c-ares's retries do; c-ares's per-try timeout is half of
// it with two tries, so a lost datagram is retried within the bound.
#include <ares.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>

#include <algorithm>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <map>
#include <mutex>
#include <optional>

#include "discovery/cares_answers.h"
#include "discovery/dns_resolver.h"

namespace beamlink::discovery {
namespace {

// A name as logs show it: without the final dot of an absolute name.
std::string shown(std::string name) {
  if (name.ends_with('.')) name.pop_back();
  return name;
}

// One lookup of one query, answered once: when its reply is in, or by the
// watchdog.
template <class Answer>
struct Lookup {
  Lookup(asio::io_context& io, std::string description)
      : deadline(io), what(std::move(description)) {}

  asio::steady_timer deadline;
  std::string what;  // "DNS AAAA name", for errors
  bool done = false;
  Answer answer;
  std::optional<Error> error;
  std::function<void(Result<Answer>)> callback;
  std::shared_ptr<bool> resolver_alive;
};

template <class Answer>
void finish(const std::shared_ptr<Lookup<Answer>>& lookup) {
  if (lookup->done) return;
  lookup->done = true;
  lookup->deadline.cancel();
  Result<Answer> result = lookup->error ? Result<Answer>(std::unexpected(*lookup->error))
                                        : Result<Answer>(std::move(lookup->answer));
  // Posted, so a callback never runs inside the resolve_* call.
  asio::post(lookup->deadline.get_executor(),
             [alive = lookup->resolver_alive, callback = std::move(lookup->callback),
              result = std::move(result)]() mutable {
               if (*alive) callback(std::move(result));
             });
}

template <class Answer>
void start_watchdog(const std::shared_ptr<Lookup<Answer>>& lookup,
                    std::chrono::milliseconds timeout) {
  lookup->deadline.expires_after(timeout);
  lookup->deadline.async_wait([lookup, timeout](const std::error_code& ec) {
    if (ec || lookup->done) return;
    lookup->error = Error{Errc::timeout, lookup->what + ": ARES_ETIMEOUT (no answer within " +
                                             std::to_string(timeout.count()) + " ms)"};
    finish(lookup);
  });
}

// What one query's reply says before parsing: NXDOMAIN and NODATA are
// answers without records; anything else but success is an error.
enum class Reply { records, no_records, no_name, failed };

template <class Answer>
Reply classify(int status, const std::string& what, Lookup<Answer>& lookup) {
  if (status == ARES_ENOTFOUND) return Reply::no_name;
  lookup.answer.name_exists = true;
  if (status == ARES_ENODATA) return Reply::no_records;
  if (status != ARES_SUCCESS) {
    if (!lookup.error) lookup.error = cares_error(what, status);
    return Reply::failed;
  }
  return Reply::records;
}

using ReplyHandler = std::function<void(int status, const unsigned char* reply, int length)>;

void on_reply(void* arg, int status, int /*timeouts*/, unsigned char* reply, int length) {
  std::unique_ptr<ReplyHandler> handler(static_cast<ReplyHandler*>(arg));
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;  // resolver gone
  (*handler)(status, reply, length);
}

Result<void> library_init() {
  static std::once_flag once;
  static int status = ARES_SUCCESS;
  std::call_once(once, [] { status = ares_library_init(ARES_LIB_INIT_ALL); });
  if (status != ARES_SUCCESS) return fail(Errc::io, "c-ares: " + cares_status_name(status));
  return {};
}

class CaresResolver final : public DnsResolver {
 public:
  CaresResolver(asio::io_context& io, std::chrono::milliseconds timeout)
      : io_(io), timeout_(timeout), timer_(io) {}

  CaresResolver(const CaresResolver&) = delete;
  CaresResolver& operator=(const CaresResolver&) = delete;

  ~CaresResolver() override {
    *alive_ = false;
    // Reports every socket closed (releasing its watch) and ends every
    // query with ARES_EDESTRUCTION, which on_reply ignores.
    if (channel_ != nullptr) ares_destroy(channel_);
    for (auto& [fd, watch] : watches_) release(*watch);
  }

  Result<void> init(const std::vector<Nameserver>& nameservers) {
    if (auto ready = library_init(); !ready) return ready;
    // With one server there is nothing to fail over to, so SERVFAIL and
    // REFUSED are passed on as such (ARES_FLAG_NOCHECKRESP); c-ares would
    // otherwise report them as ARES_ECONNREFUSED after its retries.
    size_t servers = nameservers.empty() ? 0 : nameservers.size();
    if (servers == 0) {
      if (auto opened = open(false); !opened) return opened;
      servers = count_servers();
      if (servers != 1) return {};
      ares_destroy(channel_);
      channel_ = nullptr;
      return open(true);
    }
    if (auto opened = open(servers == 1); !opened) return opened;
    return set_servers(nameservers);
  }

  void resolve_addresses(const std::string& name, AddressFamily family,
                         AddressCallback done) override {
    const bool ipv6 = family == AddressFamily::ipv6;
    auto lookup =
        start<AddressAnswer>((ipv6 ? "DNS AAAA " : "DNS A ") + shown(name), std::move(done));
    query(name, ipv6 ? ns_t_aaaa : ns_t_a,
          [lookup, ipv6](int status, const unsigned char* reply, int length) {
            if (classify(status, lookup->what, *lookup) == Reply::records) {
              auto parsed =
                  parse_address_reply(ipv6, {reply, static_cast<size_t>(length)}, lookup->what);
              if (parsed) {
                lookup->answer.addresses = std::move(*parsed);
              } else {
                lookup->error = parsed.error();
              }
            }
            finish(lookup);
          });
  }

  void resolve_srv(const std::string& name, SrvCallback done) override {
    auto lookup = start<SrvAnswer>("DNS SRV " + shown(name), std::move(done));
    query(name, ns_t_srv, [lookup](int status, const unsigned char* reply, int length) {
      if (classify(status, lookup->what, *lookup) == Reply::records) {
        auto parsed = parse_srv_reply({reply, static_cast<size_t>(length)}, lookup->what);
        if (parsed) {
          lookup->answer.records = std::move(*parsed);
        } else {
          lookup->error = parsed.error();
        }
      }
      finish(lookup);
    });
  }

 private:
  // A socket c-ares opened; asio watches it but c-ares owns and closes it.
  struct Watch {
    explicit Watch(asio::io_context& io) : descriptor(io) {}
    asio::posix::stream_descriptor descriptor;
    bool want_read = false;
    bool want_write = false;
    bool reading = false;
    bool writing = false;
    bool closed = false;
  };

  Result<void> open(bool pass_errors) {
    ares_options options{};
    options.sock_state_cb = &CaresResolver::on_socket_state;
    options.sock_state_cb_data = this;
    options.timeout = static_cast<int>(std::max<int64_t>(50, timeout_.count() / 2));
    options.tries = 2;
    options.flags = pass_errors ? ARES_FLAG_NOCHECKRESP : 0;
    int status = ares_init_options(
        &channel_, &options,
        ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES | ARES_OPT_FLAGS);
    if (status != ARES_SUCCESS) {
      channel_ = nullptr;
      return fail(Errc::io, "c-ares init: " + cares_status_name(status));
    }
    return {};
  }

  size_t count_servers() {
    ares_addr_port_node* servers = nullptr;
    if (ares_get_servers_ports(channel_, &servers) != ARES_SUCCESS) return 0;
    size_t n = 0;
    for (auto* server = servers; server != nullptr; server = server->next) ++n;
    ares_free_data(servers);
    return n;
  }

  Result<void> set_servers(const std::vector<Nameserver>& nameservers) {
    std::vector<ares_addr_port_node> nodes(nameservers.size());
    for (size_t i = 0; i < nameservers.size(); ++i) {
      const Nameserver& server = nameservers[i];
      ares_addr_port_node& node = nodes[i];
      node.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
      node.family = server.ipv6 ? AF_INET6 : AF_INET;
      void* target =
          server.ipv6 ? static_cast<void*>(&node.addr.addr6) : static_cast<void*>(&node.addr.addr4);
      if (inet_pton(node.family, server.address.c_str(), target) != 1) {
        return fail(Errc::invalid_argument, "nameserver " + server.address + " is not an address");
      }
      node.udp_port = server.port;
      node.tcp_port = server.port;
    }
    int status = ares_set_servers_ports(channel_, nodes.data());
    if (status != ARES_SUCCESS)
      return fail(Errc::io, "c-ares servers: " + cares_status_name(status));
    return {};
  }

  template <class Answer>
  std::shared_ptr<Lookup<Answer>> start(std::string what,
                                        std::function<void(Result<Answer>)> done) {
    auto lookup = std::make_shared<Lookup<Answer>>(io_, std::move(what));
    lookup->answer.name_exists = false;  // until a reply says otherwise
    lookup->callback = std::move(done);
    lookup->resolver_alive = alive_;
    start_watchdog(lookup, timeout_);
    return lookup;
  }

  void query(const std::string& name, int type, ReplyHandler handler) {
    ares_search(channel_, name.c_str(), ns_c_in, type, &on_reply,
                new ReplyHandler(std::move(handler)));
    arm_timer();
  }

  static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
    static_cast<CaresResolver*>(data)->socket_state(fd, readable != 0, writable != 0);
  }

  void socket_state(ares_socket_t fd, bool readable, bool writable) {
    auto it = watches_.find(fd);
    if (!readable && !writable) {  // c-ares is about to close it
      if (it != watches_.end()) {
        release(*it->second);
        watches_.erase(it);
      }
      return;
    }
    if (it == watches_.end()) {
      auto watch = std::make_shared<Watch>(io_);
      std::error_code ec;
      watch->descriptor.assign(fd, ec);
      if (ec) return;  // unwatched: the query ends by timeout
      it = watches_.emplace(fd, std::move(watch)).first;
    }
    it->second->want_read = readable;
    it->second->want_write = writable;
    if (*alive_) arm(fd, it->second);
  }

  static void release(Watch& watch) {
    watch.closed = true;
    watch.descriptor.release();  // pending waits end with operation_aborted
  }

  void arm(ares_socket_t fd, const std::shared_ptr<Watch>& watch) {
    using Wait = asio::posix::descriptor_base::wait_type;
    for (Wait wait : {Wait::wait_read, Wait::wait_write}) {
      bool reading = wait == Wait::wait_read;
      bool& waiting = reading ? watch->reading : watch->writing;
      if (waiting || !(reading ? watch->want_read : watch->want_write)) continue;
      waiting = true;
      watch->descriptor.async_wait(wait, [this, fd, watch, reading](const std::error_code& ec) {
        (reading ? watch->reading : watch->writing) = false;
        if (ec || watch->closed) return;  // `this` may be gone: touch nothing
        process(reading ? fd : ARES_SOCKET_BAD, reading ? ARES_SOCKET_BAD : fd);
        if (!watch->closed) arm(fd, watch);
      });
    }
  }

  void process(ares_socket_t read_fd, ares_socket_t write_fd) {
    ares_process_fd(channel_, read_fd, write_fd);
    arm_timer();
  }

  // c-ares's next retry or timeout, if a query is pending.
  void arm_timer() {
    timeval next{};
    if (ares_timeout(channel_, nullptr, &next) == nullptr) {
      timer_.cancel();
      return;
    }
    timer_.expires_after(std::chrono::seconds(next.tv_sec) +
                         std::chrono::microseconds(next.tv_usec));
    timer_.async_wait([this, alive = alive_](const std::error_code& ec) {
      if (!ec && *alive) process(ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    });
  }

  asio::io_context& io_;
  std::chrono::milliseconds timeout_;
  ares_channel channel_ = nullptr;
  std::map<ares_socket_t, std::shared_ptr<Watch>> watches_;
  asio::steady_timer timer_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace

Result<std::unique_ptr<DnsResolver>> make_cares_resolver(asio::io_context& io,
                                                         const DnsResolverOptions& options) {
  auto resolver = std::make_unique<CaresResolver>(io, options.timeout);
  if (auto ready = resolver->init(options.nameservers); !ready) {
    return std::unexpected(ready.error());
  }
  return resolver;
}

}  // namespace beamlink::discovery
