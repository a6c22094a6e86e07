#include "tools/chaos/signals.h"

#include <signal.h>

#include <cstdio>
#include <ctime>

namespace oee::chaos {

namespace {
sigset_t watched() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGHUP);
  return set;
}
}  // namespace

SignalWatch::SignalWatch(std::function<void()> first, std::function<void()> at_once) {
  const sigset_t set = watched();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this, first = std::move(first), at_once = std::move(at_once)] {
    const sigset_t set = watched();
    int seen = 0;
    while (!done_.load()) {
      // A bounded wait, so that the destructor's flag is seen.
      const timespec tick{0, 200'000'000};
      const int sig = sigtimedwait(&set, nullptr, &tick);
      if (sig <= 0) continue;
      if (++seen == 1) {
        std::fprintf(stderr, "oee-chaos: signal %d: stopping every process (again to stop at once)\n", sig);
        first();
      } else {
        std::fprintf(stderr, "oee-chaos: signal %d again: killing every process now\n", sig);
        at_once();
      }
    }
  });
}

SignalWatch::~SignalWatch() {
  done_.store(true);
  if (thread_.joinable()) thread_.join();
}

}  // namespace oee::chaos
