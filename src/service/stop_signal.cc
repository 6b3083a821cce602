// SIGINT and SIGTERM taken synchronously (beamlink/service.h): blocked in
// every thread, received only by the one that waits with sigwaitinfo.
#include <pthread.h>
#include <signal.h>

#include "beamlink/service.h"

namespace beamlink {
namespace {

sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

std::optional<std::string> signal_name(int sig) {
  if (sig == SIGINT) return "SIGINT";
  if (sig == SIGTERM) return "SIGTERM";
  return std::nullopt;
}

}  // namespace

void block_stop_signals() {
  sigset_t set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::optional<std::string> wait_for_stop_signal(const std::function<bool()>& finished) {
  sigset_t set = stop_set();
  if (!finished) {
    for (;;) {  // ends only on a signal: EINTR and others are waited out
      if (auto name = signal_name(sigwaitinfo(&set, nullptr))) return name;
    }
  }
  timespec tick{0, 200'000'000};
  while (!finished()) {
    if (auto name = signal_name(sigtimedwait(&set, nullptr, &tick))) return name;
  }
  return std::nullopt;
}

}  // namespace beamlink
