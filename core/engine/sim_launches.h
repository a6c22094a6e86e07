#pragma once
// New tokens launching on the simulated market from time to time, as on a
// real chain: most on one venue, some on both at once, some with a freeze
// authority or a mint that is not renounced. Names come in a fixed turn
// (PEPE1, MOON1, ..., PEPE2, ...), so a demo can snipe the next one; a
// name that launched already, before a restart or by hand, is passed over.
//
// Runs on the io_context it is given (one thread).

#include <chrono>
#include <cstdint>
#include <random>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/engine/launch_journal.h"

namespace oee::core {

class SimLaunches {
 public:
  /// A launch every `every` on average (between half and one and a half).
  SimLaunches(boost::asio::io_context& ioc, LaunchJournal& launches, std::chrono::milliseconds every);
  void start();
  void stop();

  /// The symbol of the n-th launch (0-based): the fixed turn of names.
  [[nodiscard]] static std::string name_of(std::uint64_t n);

 private:
  void schedule();
  void launch_one();

  LaunchJournal& launches_;
  std::chrono::milliseconds every_;
  boost::asio::steady_timer timer_;
  std::mt19937_64 rng_;
  std::uint64_t launched_ = 0;
};

}  // namespace oee::core
