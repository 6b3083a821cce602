// The blocking EPMD client: each call runs its coroutine from
// epmd_client_async.cc on a private io_context until it completes.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <charconv>
#include <cstdlib>
#include <exception>
#include <optional>

#include "beamlink/epmd.h"
#include "epmd/epmd_async.h"

namespace beamlink::epmd {
namespace {

constexpr uint16_t kStandardPort = 4369;

template <class T>
Result<T> run_to_completion(asio::io_context& io, asio::awaitable<Result<T>> work) {
  std::optional<Result<T>> outcome;
  asio::co_spawn(io, std::move(work), [&outcome](std::exception_ptr thrown, Result<T> value) {
    if (thrown) {
      outcome = fail(Errc::io, "EPMD client failed unexpectedly");
    } else {
      outcome = std::move(value);
    }
  });
  try {
    io.run();
  } catch (const std::exception& e) {
    return fail(Errc::io, std::string("EPMD client failed: ") + e.what());
  }
  if (!outcome) return fail(Errc::io, "EPMD client did not complete");
  return std::move(*outcome);
}

}  // namespace

uint16_t default_port() {
  const char* text = std::getenv("ERL_EPMD_PORT");
  if (text == nullptr) return kStandardPort;
  const std::string_view digits(text);
  unsigned value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size() || value == 0 || value > 65535) {
    return kStandardPort;
  }
  return static_cast<uint16_t>(value);
}

std::string NamesReply::to_epmd_text() const {
  return "epmd: up and running on port " + std::to_string(epmd_port) + " with data:\n" + text;
}

Result<NamesReply> names_reply(const ClientOptions& options) {
  asio::io_context io(1);
  return run_to_completion(io, async_names(io.get_executor(), options));
}

Result<std::vector<NameEntry>> names(const ClientOptions& options) {
  auto reply = names_reply(options);
  if (!reply) return std::unexpected(reply.error());
  return std::move(reply->entries);
}

Result<NodeInfo> port_please(const ClientOptions& options, std::string_view name) {
  asio::io_context io(1);
  return run_to_completion(io, async_port_please(io.get_executor(), options, std::string(name)));
}

Result<Registration> register_node(const ClientOptions& options, const NodeInfo& node) {
  // The registration's socket stays on this io_context, so the context moves
  // into the Registration with it.
  auto io = std::make_unique<asio::io_context>(1);
  auto parts = run_to_completion(*io, async_register_parts(io->get_executor(), options, node));
  if (!parts) return std::unexpected(parts.error());
  (*parts)->owned_io = std::move(io);
  return Registration(std::move(*parts));
}

Result<bool> kill(const ClientOptions& options) {
  asio::io_context io(1);
  return run_to_completion(io, async_kill(io.get_executor(), options));
}

}  // namespace beamlink::epmd
