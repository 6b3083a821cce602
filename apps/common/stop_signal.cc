#include "stop_signal.h"

#include <pthread.h>
#include <signal.h>

namespace beamlink::cli {
namespace {

sigset_t stop_set() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

void block_stop_signals() {
  sigset_t set = stop_set();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

std::optional<std::string> wait_for_stop_signal(const std::function<bool()>& finished) {
  sigset_t set = stop_set();
  if (!finished) {
    for (;;) {
      const int sig = sigwaitinfo(&set, nullptr);
      if (sig == SIGINT) return "SIGINT";
      if (sig == SIGTERM) return "SIGTERM";
    }
  }
  timespec tick{0, 200'000'000};
  while (!finished()) {
    int sig = sigtimedwait(&set, nullptr, &tick);
    if (sig == SIGINT) return "SIGINT";
    if (sig == SIGTERM) return "SIGTERM";
  }
  return std::nullopt;
}

}  // namespace beamlink::cli
