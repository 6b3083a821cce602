// The stand-in API server: one io thread, one coroutine per connection,
// Connection: close after each answer; watches poll the model's history
// every 20 ms and stream what is new as chunks.
// GCC 12 at -O2 reports -Wmismatched-new-delete on asio's awaitable
// frames in the long watch coroutine below: a false positive (the frame's
// operator new and delete are asio's matched pair). Off for this file only.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif
#include "integration/support/fake_kube_api.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/ssl.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "integration/support/subprocess.h"

namespace beamlink::testing {
namespace {

using asio::ip::tcp;
using nlohmann::json;
using namespace std::chrono_literals;
using TlsStream = asio::ssl::stream<tcp::socket>;
constexpr auto kNoThrow = asio::experimental::as_tuple(asio::use_awaitable);

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // lower-case names
};

std::string decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<Request> parse_request(const std::string& head) {
  Request r;
  size_t eol = head.find("\r\n");
  std::string line = head.substr(0, eol);
  size_t a = line.find(' ');
  size_t b = line.find(' ', a + 1);
  if (a == std::string::npos || b == std::string::npos) return std::nullopt;
  r.method = line.substr(0, a);
  std::string target = line.substr(a + 1, b - a - 1);
  size_t q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) {
    std::string_view query = std::string_view(target).substr(q + 1);
    while (!query.empty()) {
      size_t amp = query.find('&');
      std::string_view pair = query.substr(0, amp);
      size_t eq = pair.find('=');
      r.query[decode(pair.substr(0, eq))] =
          eq == std::string_view::npos ? "" : decode(pair.substr(eq + 1));
      if (amp == std::string_view::npos) break;
      query.remove_prefix(amp + 1);
    }
  }
  size_t pos = eol + 2;
  while (pos < head.size()) {
    size_t end = head.find("\r\n", pos);
    if (end == std::string::npos || end == pos) break;
    std::string header = head.substr(pos, end - pos);
    size_t colon = header.find(':');
    if (colon != std::string::npos) {
      std::string name = header.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      size_t v = header.find_first_not_of(' ', colon + 1);
      r.headers[name] = v == std::string::npos ? "" : header.substr(v);
    }
    pos = end + 2;
  }
  return r;
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 1;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

json resource(const std::string& name, const std::string& singular, const std::string& kind,
              bool namespaced, std::vector<std::string> short_names) {
  json r{{"name", name},
         {"singularName", singular},
         {"namespaced", namespaced},
         {"kind", kind},
         {"verbs",
          {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}}};
  if (!short_names.empty()) r["shortNames"] = short_names;
  return r;
}

struct Answer {
  int code = 200;
  std::string body;
};

const char* reason_of(int code) {
  switch (code) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    default:
      return "Error";
  }
}

std::string chunk(const std::string& data) {
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

}  // namespace

class FakeKubeApi::Impl {
 public:
  Impl(std::string token) : token_(std::move(token)) {}
  ~Impl() { stop(); }

  std::optional<std::string> listen(const TestCertificates& certs, uint16_t port) {
    std::error_code ec;
    tls_.use_certificate_chain_file(certs.cert_file, ec);
    if (!ec) tls_.use_private_key_file(certs.key_file, asio::ssl::context::pem, ec);
    if (ec) return "TLS setup: " + ec.message();
    tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(64, ec);
    if (ec) return "listen on 127.0.0.1:" + std::to_string(port) + ": " + ec.message();
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
    return std::nullopt;
  }

  // Runs `fn` on the server thread and waits for it.
  void call(std::function<void()> fn) {
    if (stopped_) {
      fn();
      return;
    }
    std::promise<void> done;
    asio::post(io_, [&] {
      fn();
      done.set_value();
    });
    done.get_future().wait();
  }

  void stop() {
    if (stopped_.exchange(true)) return;
    asio::post(io_, [this] {
      std::error_code ignored;
      acceptor_.close(ignored);
      for (auto* socket : sockets_) socket->lowest_layer().close(ignored);
    });
    work_.reset();
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (ec) co_return;
      asio::co_spawn(io_, serve(std::make_shared<TlsStream>(std::move(socket), tls_)),
                     asio::detached);
    }
  }

  asio::awaitable<void> serve(std::shared_ptr<TlsStream> stream) {
    sockets_.insert(stream.get());
    asio::steady_timer guard(io_);
    guard.expires_after(10s);
    guard.async_wait([stream](const std::error_code& ec) {
      std::error_code ignored;
      if (!ec) stream->lowest_layer().close(ignored);
    });
    co_await handle(*stream, guard);
    guard.cancel();
    std::error_code ignored;
    stream->lowest_layer().close(ignored);
    sockets_.erase(stream.get());
  }

  asio::awaitable<void> handle(TlsStream& stream, asio::steady_timer& guard) {
    auto [hs] = co_await stream.async_handshake(asio::ssl::stream_base::server, kNoThrow);
    if (hs) co_return;
    std::string head;
    std::array<char, 4096> buffer;
    while (head.find("\r\n\r\n") == std::string::npos) {
      auto [ec, n] = co_await stream.async_read_some(asio::buffer(buffer), kNoThrow);
      if (ec || head.size() > 32768) co_return;
      head.append(buffer.data(), n);
    }
    auto request = parse_request(head);
    if (!request) co_return;
    {
      std::lock_guard lock(log_mutex_);
      log_.push_back(
          request->method + " " +
          head.substr(request->method.size() + 1,
                      head.find(' ', request->method.size() + 1) - request->method.size() - 1));
    }
    bool watch = request->query["watch"] == "true" || request->query["watch"] == "1";
    Answer answer = route(*request, watch);
    if (watch && answer.code == 200) {
      guard.cancel();
      co_await stream_watch(stream, *request);
      co_return;
    }
    std::string out = "HTTP/1.1 " + std::to_string(answer.code) + " " + reason_of(answer.code) +
                      "\r\nContent-Type: application/json\r\nContent-Length: " +
                      std::to_string(answer.body.size()) + "\r\nConnection: close\r\n\r\n" +
                      answer.body;
    co_await asio::async_write(stream, asio::buffer(out), kNoThrow);
  }

  Answer route(const Request& r, bool watch) {
    if (r.headers.count("authorization") == 0 ||
        r.headers.at("authorization") != "Bearer " + token_) {
      return {401, status_json(401, "Unauthorized", "Unauthorized")};
    }
    auto parts = split_path(r.path);
    std::string address = "127.0.0.1:" + std::to_string(port_);
    json group_version{{"groupVersion", "discovery.k8s.io/v1"}, {"version", "v1"}};
    if (r.path == "/version") {
      return {200, json{{"major", "1"},
                        {"minor", "30"},
                        {"gitVersion", "v1.30.0"},
                        {"gitCommit", "0000000000000000000000000000000000000000"},
                        {"gitTreeState", "clean"},
                        {"buildDate", "2026-01-01T00:00:00Z"},
                        {"goVersion", "go1.22.0"},
                        {"compiler", "gc"},
                        {"platform", "linux/amd64"}}
                       .dump()};
    }
    if (r.path == "/api") {
      return {200, json{{"kind", "APIVersions"},
                        {"versions", {"v1"}},
                        {"serverAddressByClientCIDRs",
                         {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", address}}}}}
                       .dump()};
    }
    json group{{"name", "discovery.k8s.io"},
               {"versions", {group_version}},
               {"preferredVersion", group_version}};
    if (r.path == "/apis") {
      return {200,
              json{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", {group}}}.dump()};
    }
    if (r.path == "/apis/discovery.k8s.io") {
      group["kind"] = "APIGroup";
      group["apiVersion"] = "v1";
      return {200, group.dump()};
    }
    if (r.path == "/api/v1") {
      return {200, json{{"kind", "APIResourceList"},
                        {"groupVersion", "v1"},
                        {"resources",
                         {resource("endpoints", "endpoints", "Endpoints", true, {"ep"}),
                          resource("namespaces", "namespace", "Namespace", false, {"ns"}),
                          resource("pods", "pod", "Pod", true, {"po"}),
                          resource("services", "service", "Service", true, {"svc"})}}}
                       .dump()};
    }
    if (r.path == "/apis/discovery.k8s.io/v1") {
      return {200, json{{"kind", "APIResourceList"},
                        {"apiVersion", "v1"},
                        {"groupVersion", "discovery.k8s.io/v1"},
                        {"resources",
                         {resource("endpointslices", "endpointslice", "EndpointSlice", true, {})}}}
                       .dump()};
    }
    // /api/v1/namespaces/NS/RES, /apis/discovery.k8s.io/v1/namespaces/NS/endpointslices
    bool core = parts.size() == 5 && parts[0] == "api" && parts[1] == "v1" &&
                parts[2] == "namespaces" && (parts[4] == "endpoints" || parts[4] == "pods");
    bool slices = parts.size() == 6 && parts[0] == "apis" && parts[1] == "discovery.k8s.io" &&
                  parts[2] == "v1" && parts[3] == "namespaces" && parts[5] == "endpointslices";
    if (r.method != "GET" || (!core && !slices)) {
      return {404,
              status_json(404, "NotFound", "the server could not find the requested resource")};
    }
    const std::string& ns = parts[core ? 3 : 4];
    const std::string& res = parts.back();
    if (forbidden_.contains(res)) {
      std::string group_name = slices ? "discovery.k8s.io" : "";
      return {403, status_json(403, "Forbidden",
                               res + (slices ? ".discovery.k8s.io" : "") +
                                   " is forbidden: User \"system:serviceaccount:" + ns +
                                   ":default\" cannot " + (watch ? "watch" : "list") +
                                   " resource \"" + res + "\" in API group \"" + group_name +
                                   "\" in the namespace \"" + ns + "\"")};
    }
    auto selector_text = r.query.count("labelSelector") ? r.query.at("labelSelector") : "";
    auto selector = LabelSelector::parse(selector_text);
    if (!selector) {
      return {400, status_json(400, "BadRequest", "unable to parse requirement: " + selector_text)};
    }
    if (watch) return {200, ""};
    return {200, model_.list(res, ns, *selector)};
  }

  asio::awaitable<void> stream_watch(TlsStream& stream, Request r) {
    auto parts = split_path(r.path);
    bool core = parts[0] == "api";
    std::string ns = parts[core ? 3 : 4];
    std::string res = parts.back();
    LabelSelector selector = *LabelSelector::parse(r.query["labelSelector"]);
    bool bookmarks = r.query["allowWatchBookmarks"] == "true";
    int timeout = r.query.count("timeoutSeconds") ? std::stoi(r.query["timeoutSeconds"]) : 1800;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
    std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n";
    auto [ec, written] = co_await asio::async_write(stream, asio::buffer(head), kNoThrow);
    if (ec) co_return;
    ++watches_;
    std::string rv_text = r.query["resourceVersion"];
    uint64_t since = rv_text.empty() ? 0 : std::stoull(rv_text);
    std::string pending;
    const char* kind = res == "endpointslices" ? "EndpointSlice"
                       : res == "pods"         ? "Pod"
                                               : "Endpoints";
    const char* api_version = res == "endpointslices" ? "discovery.k8s.io/v1" : "v1";
    size_t next = model_.history().size();
    if (since != 0 && since < model_.compacted_below()) {
      json status = json::parse(status_json(
          410, "Expired",
          "too old resource version: " + rv_text + " (" + std::to_string(model_.version()) + ")"));
      pending = chunk(json{{"type", "ERROR"}, {"object", status}}.dump() + "\n");
      deadline = std::chrono::steady_clock::now();
    } else if (since == 0) {
      for (const auto& rec : model_.current(res, ns)) {
        if (selector.matches(rec.labels)) {
          pending += chunk("{\"type\":\"ADDED\",\"object\":" + rec.object + "}\n");
        }
      }
    } else {
      next = 0;
      while (next < model_.history().size() && model_.history()[next].resource_version <= since) {
        ++next;
      }
    }
    auto next_bookmark = std::chrono::steady_clock::now() + 1s;
    asio::steady_timer tick(io_);
    for (;;) {
      const auto& history = model_.history();
      for (; next < history.size(); ++next) {
        const auto& rec = history[next];
        if (rec.resource != res || rec.ns != ns || !selector.matches(rec.labels)) continue;
        pending += chunk("{\"type\":\"" + rec.type + "\",\"object\":" + rec.object + "}\n");
      }
      auto now = std::chrono::steady_clock::now();
      if (bookmarks && now >= next_bookmark) {
        json bookmark{{"type", "BOOKMARK"},
                      {"object",
                       {{"kind", kind},
                        {"apiVersion", api_version},
                        {"metadata", {{"resourceVersion", std::to_string(model_.version())}}}}}};
        pending += chunk(bookmark.dump() + "\n");
        next_bookmark = now + 1s;
      }
      if (now >= deadline || stopped_) pending += "0\r\n\r\n";
      if (!pending.empty()) {
        auto [write_error, n] = co_await asio::async_write(stream, asio::buffer(pending), kNoThrow);
        if (write_error) break;
        pending.clear();
      }
      if (now >= deadline || stopped_) break;
      tick.expires_after(20ms);
      co_await tick.async_wait(kNoThrow);
    }
    --watches_;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  asio::ssl::context tls_{asio::ssl::context::tls_server};
  tcp::acceptor acceptor_{io_};
  std::thread thread_;
  std::atomic<bool> stopped_{false};
  uint16_t port_ = 0;
  std::set<TlsStream*> sockets_;
  KubeModel model_;
  std::string token_;
  std::set<std::string> forbidden_;
  mutable std::mutex log_mutex_;
  std::vector<std::string> log_;
  std::atomic<size_t> watches_{0};
};

std::expected<TestCertificates, std::string> make_test_certificates(const std::string& dir) {
  TestCertificates c{dir + "/ca.crt", dir + "/server.crt", dir + "/server.key"};
  std::string ext = dir + "/server.ext";
  FILE* f = std::fopen(ext.c_str(), "w");
  if (f == nullptr) return std::unexpected("cannot write " + ext);
  std::fputs(
      "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n"
      "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
      f);
  std::fclose(f);
  std::vector<std::vector<std::string>> steps = {
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-keyout", dir + "/ca.key", "-out", c.ca_file, "-days", "2", "-subj",
       "/CN=beamlink-test-ca"},
      {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", c.key_file, "-out", dir + "/server.csr", "-subj", "/CN=kube-apiserver"},
      {"openssl", "x509", "-req", "-in", dir + "/server.csr", "-CA", c.ca_file, "-CAkey",
       dir + "/ca.key", "-CAcreateserial", "-out", c.cert_file, "-days", "2", "-extfile", ext}};
  for (const auto& argv : steps) {
    auto result = run_process(argv, "", std::chrono::seconds(20));
    if (result.exit_code != 0) {
      return std::unexpected("openssl " + argv[1] + " failed: " + result.err + result.out);
    }
  }
  return c;
}

FakeKubeApi::FakeKubeApi(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FakeKubeApi::~FakeKubeApi() = default;

std::expected<std::unique_ptr<FakeKubeApi>, std::string> FakeKubeApi::start(
    const TestCertificates& certificates, std::string token, uint16_t port) {
  auto impl = std::make_unique<Impl>(std::move(token));
  if (auto error = impl->listen(certificates, port)) return std::unexpected(*error);
  return std::unique_ptr<FakeKubeApi>(new FakeKubeApi(std::move(impl)));
}

uint16_t FakeKubeApi::port() const {
  return impl_->port_;
}
std::string FakeKubeApi::url() const {
  return "https://127.0.0.1:" + std::to_string(port());
}
void FakeKubeApi::set_token(std::string token) {
  impl_->call([&] { impl_->token_ = std::move(token); });
}
void FakeKubeApi::put_service(const FakeService& s) {
  impl_->call([&] { impl_->model_.put_service(s); });
}
void FakeKubeApi::put_pod(const FakePod& p) {
  impl_->call([&] { impl_->model_.put_pod(p); });
}
void FakeKubeApi::remove_pod(const std::string& ns, const std::string& name) {
  impl_->call([&] { impl_->model_.remove_pod(ns, name); });
}
void FakeKubeApi::compact() {
  impl_->call([&] { impl_->model_.compact(); });
}
void FakeKubeApi::forbid(const std::string& resource, bool forbidden) {
  impl_->call([&] {
    if (forbidden) {
      impl_->forbidden_.insert(resource);
    } else {
      impl_->forbidden_.erase(resource);
    }
  });
}
std::vector<std::string> FakeKubeApi::requests() const {
  std::lock_guard lock(impl_->log_mutex_);
  return impl_->log_;
}
size_t FakeKubeApi::count_requests(std::string_view containing) const {
  size_t n = 0;
  for (const auto& r : requests()) n += r.find(containing) != std::string::npos;
  return n;
}
size_t FakeKubeApi::open_watches() const {
  return impl_->watches_.load();
}
void FakeKubeApi::stop() {
  impl_->stop();
}

}  // namespace beamlink::testing
