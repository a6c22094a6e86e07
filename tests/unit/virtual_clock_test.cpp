// The virtual clock: waits fire in the order of their times as an advance
// passes them, each at its own time, after the engine settled; a cancelled
// wait does not fire; SimTimer waits on it while it is installed.

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/executor_work_guard.hpp>

#include "core/domain/sim_clock.h"
#include "core/engine/sim_timer.h"
#include "core/engine/virtual_clock.h"

namespace oee::core {
namespace {

using namespace std::chrono_literals;
namespace asio = boost::asio;

// An io_context run by a thread of its own, as the engine's are.
struct Runner {
  asio::io_context ioc;
  asio::executor_work_guard<asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread{[this] { ioc.run(); }};
  ~Runner() {
    work.reset();
    ioc.stop();
    thread.join();
  }
};

constexpr TimestampNs kStart{1'000'000'000};

TEST(VirtualClock, AnAdvanceFiresWhatFallsDueInOrderEachAtItsOwnTime) {
  VirtualClock clock(kStart);
  Runner runner;
  std::vector<std::string> fired;  // written on the runner's thread, read after the advance
  auto at = [&](std::int64_t ms, std::string name) {
    (void)clock.wait(TimestampNs{kStart.value + ms * 1'000'000}, runner.ioc,
                     [&, name](boost::system::error_code ec) {
                       if (!ec) fired.push_back(name + "@" + std::to_string((clock.now().value - kStart.value) / 1'000'000));
                     });
  };
  at(30, "c");
  at(10, "a");
  at(20, "b");
  at(10, "a2");  // the same time: in the order they were registered
  at(500, "late");
  const auto advanced = clock.advance(100ms);
  EXPECT_EQ(fired, (std::vector<std::string>{"a@10", "a2@10", "b@20", "c@30"}));
  EXPECT_EQ(advanced.fired, 4U);
  EXPECT_EQ(advanced.now.value, kStart.value + 100'000'000);
  EXPECT_EQ(clock.pending(), 1U);
}

TEST(VirtualClock, AWaitRegisteredByAFiringOneFiresInTheSameAdvanceIfItFallsDue) {
  VirtualClock clock(kStart);
  Runner runner;
  std::vector<std::int64_t> times;
  std::function<void(boost::system::error_code)> again = [&](boost::system::error_code) {
    times.push_back((clock.now().value - kStart.value) / 1'000'000);
    if (times.size() < 5) (void)clock.wait(TimestampNs{clock.now().value + 7'000'000}, runner.ioc, again);
  };
  (void)clock.wait(TimestampNs{kStart.value + 7'000'000}, runner.ioc, again);
  clock.advance(30ms);
  EXPECT_EQ(times, (std::vector<std::int64_t>{7, 14, 21, 28}));
  clock.advance(10ms);
  EXPECT_EQ(times.size(), 5U);
}

TEST(VirtualClock, ACancelledWaitGetsOperationAbortedAndNeverFires) {
  VirtualClock clock(kStart);
  Runner runner;
  std::promise<boost::system::error_code> got;
  const auto id = clock.wait(TimestampNs{kStart.value + 5'000'000}, runner.ioc,
                             [&](boost::system::error_code ec) { got.set_value(ec); });
  EXPECT_TRUE(clock.cancel(id));
  EXPECT_FALSE(clock.cancel(id));
  auto ec = got.get_future();
  ASSERT_EQ(ec.wait_for(5s), std::future_status::ready);
  EXPECT_EQ(ec.get(), asio::error::operation_aborted);
  EXPECT_EQ(clock.advance(10ms).fired, 0U);
}

TEST(VirtualClock, AnAdvanceWaitsForTheEngineToSettleAfterEachWait) {
  VirtualClock clock(kStart);
  Runner runner;
  std::atomic<int> busy{0};
  std::vector<int> busy_when_fired;
  // Each firing sets work off that takes a while to finish on its own.
  auto fire = [&](boost::system::error_code) {
    busy_when_fired.push_back(busy.load());
    busy = 1;
    std::thread([&] {
      std::this_thread::sleep_for(20ms);
      busy = 0;
    }).detach();
  };
  (void)clock.wait(TimestampNs{kStart.value + 1'000'000}, runner.ioc, fire);
  (void)clock.wait(TimestampNs{kStart.value + 2'000'000}, runner.ioc, fire);
  const auto check = clock.add_settle_check([&](std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (busy.load() != 0) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  });
  const auto advanced = clock.advance(5ms);
  EXPECT_TRUE(advanced.settled);
  EXPECT_EQ(busy_when_fired, (std::vector<int>{0, 0})) << "the second wait fired only once the first's work was done";
  EXPECT_EQ(busy.load(), 0);
  clock.remove_settle_check(check);
}

TEST(VirtualClock, InstalledItIsTheSimulationsTimeAndSimTimersWaitOnIt) {
  {
    VirtualClock clock(kStart);
    clock.install();
    EXPECT_EQ(sim_now(), kStart);
    Runner runner;
    SimTimer timer(runner.ioc);
    std::promise<TimestampNs> fired_at;
    timer.expires_after(250ms);
    timer.async_wait([&](boost::system::error_code ec) {
      if (!ec) fired_at.set_value(sim_now());
    });
    auto fired = fired_at.get_future();
    EXPECT_EQ(fired.wait_for(50ms), std::future_status::timeout) << "real time does not move a virtual clock";
    clock.advance(1s);
    ASSERT_EQ(fired.wait_for(5s), std::future_status::ready);
    EXPECT_EQ(fired.get().value, kStart.value + 250'000'000);
  }
  EXPECT_FALSE(sim_clock_installed()) << "gone, the wall clock is back";
  EXPECT_EQ(VirtualClock::installed(), nullptr);
}

}  // namespace
}  // namespace oee::core
