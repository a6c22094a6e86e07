#pragma once
// New tokens launching on the simulated market from time to time, as on a
// real chain: most on one venue, some on both at once, some with a freeze
// authority or a mint that is not renounced. Names come in a fixed turn
// (PEPE1, MOON1, ..., PEPE2, ...), so a demo can snipe the next one; a
// name that launched already, before a restart or by hand, is passed over.
//
// Runs on a thread of its own: each launch waits for the disk or the
// cluster (see MarketChanges), which the order thread must not. In a
// cluster only the holder of the market's lease runs it, so it can be
// started again after a stop.

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "core/engine/market_changes.h"
#include "core/engine/sim_timer.h"

namespace oee::core {

class SimLaunches {
 public:
  /// A launch every `every` on average (between half and one and a half);
  /// none when `every` is 0. With a seed, the same launches follow one
  /// another at the same (simulated) times on every run.
  SimLaunches(MarketChanges& launches, std::chrono::milliseconds every, std::optional<std::uint64_t> seed = {});
  ~SimLaunches();
  SimLaunches(const SimLaunches&) = delete;
  SimLaunches& operator=(const SimLaunches&) = delete;

  /// Idempotent; after stop() it starts again.
  void start();
  /// Returns once a launch under way is done. Idempotent.
  void stop();

  /// The symbol of the n-th launch (0-based): the fixed turn of names.
  [[nodiscard]] static std::string name_of(std::uint64_t n);

 private:
  void schedule();
  void launch_one();

  MarketChanges& launches_;
  std::chrono::milliseconds every_;
  boost::asio::io_context ioc_;
  // A wait on a virtual clock is no work of the io_context's: it would return.
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  SimTimer timer_{ioc_};
  std::mt19937_64 rng_;
  std::uint64_t launched_ = 0;
  std::thread thread_;
};

}  // namespace oee::core
