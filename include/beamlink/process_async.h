// beamlink/process_async.h - Process::async_receive as an asio asynchronous
// operation, for any completion token:
//
//   std::optional<Term> msg =
//       co_await beamlink::async_receive(process, 500ms, asio::use_awaitable);
//
// The completion handler runs on the handler's associated executor (the
// coroutine's executor for use_awaitable). REQUIRES: `process` stays alive
// (is not moved from or destroyed) until the operation completes.
#pragma once

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/dispatch.hpp>
#include <asio/executor_work_guard.hpp>
#include <chrono>
#include <optional>
#include <utility>

#include "beamlink/process.h"

namespace beamlink {

template <class CompletionToken>
auto async_receive(Process& process, std::chrono::milliseconds timeout, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void(std::optional<Term>)>(
      [&process, timeout](auto handler) {
        auto work = asio::make_work_guard(asio::get_associated_executor(handler));
        process.async_receive(timeout, [handler = std::move(handler), work = std::move(work)](
                                           std::optional<Term> message) mutable {
          auto executor = work.get_executor();
          asio::dispatch(executor,
                         [handler = std::move(handler), message = std::move(message)]() mutable {
                           std::move(handler)(std::move(message));
                         });
          work.reset();
        });
      },
      token);
}

}  // namespace beamlink
