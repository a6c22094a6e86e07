#pragma once
// A simulation clock that moves only when told (`--sim-clock virtual`):
// waits registered on it (SimTimer's) fire in the order of their times as
// advance() passes them, each at its own time, and after each the engine is
// given the chance to finish what that time set off (its settle checks)
// before the clock moves on. So the same requests and the same advances give
// the same decisions, and an hour of waiting orders passes in as long as its
// work takes.
//
// Lifecycle: made and install()ed at start, before any timer or thread that
// reads the time; outlives everything that waits on it. Threading: now() from
// any thread; wait/cancel from the waiting timers' threads; one advance() at
// a time (they queue), from a thread that is none of the ones it waits for.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/system/error_code.hpp>

#include "core/domain/sim_clock.h"

namespace oee::core {

class VirtualClock final : public SimClock {
 public:
  using Handler = std::function<void(boost::system::error_code)>;
  /// Whether the engine is done with everything due at the clock's time;
  /// may wait up to the given limit for it.
  using SettleCheck = std::function<bool(std::chrono::milliseconds limit)>;

  explicit VirtualClock(TimestampNs start);
  ~VirtualClock() override;
  VirtualClock(const VirtualClock&) = delete;
  VirtualClock& operator=(const VirtualClock&) = delete;

  /// Makes this the process's clock (sim_now) and the one SimTimers wait on.
  void install();
  /// The installed virtual clock, or nullptr (the wall clock runs).
  [[nodiscard]] static VirtualClock* installed();

  [[nodiscard]] TimestampNs now() const override;

  /// `handler` runs on `ioc` once the clock reaches `at` (posted at once if
  /// it has), or with operation_aborted when the wait is cancelled.
  [[nodiscard]] std::uint64_t wait(TimestampNs at, boost::asio::io_context& ioc, Handler handler);
  /// Takes a wait back and posts its handler with operation_aborted; false
  /// when it fired already.
  bool cancel(std::uint64_t wait_id);

  [[nodiscard]] std::uint64_t add_settle_check(SettleCheck check);
  void remove_settle_check(std::uint64_t id);

  struct Advanced {
    TimestampNs now;
    std::size_t fired = 0;  // waits that fell due on the way
    bool settled = true;    // false: the engine was still busy when a settle check gave up
  };
  /// Moves the clock on by `by` (>= 0), firing what falls due on the way.
  Advanced advance(std::chrono::nanoseconds by);
  /// Waits that have not fired yet.
  [[nodiscard]] std::size_t pending() const;

 private:
  struct Entry {
    boost::asio::io_context* ioc;
    Handler handler;
  };
  using Key = std::pair<std::int64_t, std::uint64_t>;  // (time, registration): the firing order

  bool settle();
  bool fire(Entry entry);  // false: its handler had not run within the limit

  mutable std::mutex mu_;
  std::int64_t now_ns_;
  std::uint64_t next_id_ = 1;
  std::map<Key, Entry> waits_;
  std::unordered_map<std::uint64_t, std::int64_t> due_of_;  // wait id -> its time
  std::vector<std::pair<std::uint64_t, SettleCheck>> settle_checks_;
  std::mutex advancing_;
};

}  // namespace oee::core
