// Handshake I/O; see handshake_io.h.
#include "dist/handshake_io.h"

#include <asio/steady_timer.hpp>

#include "dist/wire.h"
#include "epmd/watchdog.h"

namespace beamlink::dist {
namespace {

// Writes a step's frames as one gather write.
asio::awaitable<Result<void>> send_frames(Transport& transport,
                                          const std::vector<std::vector<uint8_t>>& frames) {
  if (frames.empty()) co_return Result<void>{};
  std::vector<asio::const_buffer> buffers;
  for (const auto& frame : frames) buffers.emplace_back(frame.data(), frame.size());
  co_return co_await transport.write(buffers);
}

}  // namespace

asio::awaitable<Result<HandshakeOutcome>> run_handshake(Transport& transport, Handshake& handshake,
                                                        std::chrono::milliseconds limit) {
  epmd::Watchdog watchdog(transport.executor(), limit, [&transport] { transport.close(); });
  const auto who = [&] {
    return handshake.peer().name.empty() ? transport.remote() : handshake.peer().name;
  };
  const auto io_failure = [&](const Error& error) -> std::unexpected<Error> {
    const std::string where =
        "handshake with " + who() + ": " + std::string(handshake.awaiting()) + ": ";
    if (watchdog.expired()) {
      return fail(Errc::timeout,
                  where + "not finished within " + std::to_string(limit.count()) + " ms");
    }
    if (error.code == Errc::closed && handshake.awaiting() == "challenge_ack") {
      return fail(Errc::refused, where +
                                     "the peer closed the connection after our challenge reply "
                                     "(wrong cookie?)");
    }
    return fail(error.code, where + error.message);
  };

  if (handshake.is_initiator()) {
    auto step = handshake.start();
    if (auto sent = co_await send_frames(transport, step.send); !sent)
      co_return io_failure(sent.error());
  }
  std::vector<uint8_t> buffer(4096);
  size_t filled = 0;
  for (;;) {
    // Every complete frame in the buffer, in order.
    size_t used = 0;
    while (filled - used >= 2) {
      const size_t length = load_be(buffer.data() + used, 2);
      if (filled - used - 2 < length) break;
      auto step = handshake.receive(std::span(buffer.data() + used + 2, length));
      used += 2 + length;
      if (auto sent = co_await send_frames(transport, step.send); !sent) {
        if (step.state == HandshakeStep::State::failed) co_return std::unexpected(step.error);
        co_return io_failure(sent.error());
      }
      if (step.state == HandshakeStep::State::failed) co_return std::unexpected(step.error);
      if (step.state == HandshakeStep::State::done) {
        watchdog.disarm();
        HandshakeOutcome outcome{handshake.peer(), {}};
        outcome.leftover.assign(buffer.begin() + static_cast<ptrdiff_t>(used),
                                buffer.begin() + static_cast<ptrdiff_t>(filled));
        co_return outcome;
      }
    }
    std::copy(buffer.begin() + static_cast<ptrdiff_t>(used),
              buffer.begin() + static_cast<ptrdiff_t>(filled), buffer.begin());
    filled -= used;
    if (filled == buffer.size())
      buffer.resize(std::min<size_t>(buffer.size() * 4, 2 + 65535 + 4096));
    auto count =
        co_await transport.read_some(std::span(buffer.data() + filled, buffer.size() - filled));
    if (!count) co_return io_failure(count.error());
    filled += *count;
  }
}

}  // namespace beamlink::dist
