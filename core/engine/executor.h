#pragma once
// The executor: drives every non-terminal order through routing, building,
// submission and confirmation.
//
// Write-ahead: each step's event is durable in the log before the next step
// starts, so after a crash every order resumes from its last event. The
// simulated chain's memory of landed transactions makes the resume of a
// `submitted` order a lookup, never a second swap.
//
// In batches: every order whose last event became durable (in one group
// commit, mostly) and whose stage's wait is over has its next event decided
// in one pass, the chain gets that pass's transactions in one call, and the
// log its events in one append.
//
// Limit orders wait in a book, sniper orders in a watch by target token,
// both owned by the executor's thread, which also decides their cancels,
// expiries and triggers: every event of an order is appended from that one
// thread, in the order it decides them, so whichever of a cancel, an
// amendment and a trigger comes first wins and the state machine refuses
// what no longer applies. A
// watcher looks at the pools and launches every watch_interval (and at once
// after a price is set or a pool launched), expiring orders before it
// evaluates any price or launch.
//
// Lifecycle: start() resumes the log's active orders and listens for new
// submissions; stop() lets in-flight steps reach a logged point and returns
// when no order runs. Threading: all orders' steps run on the given
// io_context, which must be run by exactly one thread.

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_set>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/domain/router.h"
#include "core/engine/engine_metrics.h"
#include "core/engine/order_store.h"
#include "core/engine/recurring_orders.h"
#include "core/engine/sim_chain.h"
#include "core/engine/waiting_orders.h"

namespace oee::core {

enum class SimProfile { realistic, fast };
[[nodiscard]] std::string_view sim_profile_name(SimProfile p);  // "realistic", "fast"

struct ExecutorOptions {
  SimProfile profile = SimProfile::realistic;
  std::size_t concurrency = 10'000;
  std::uint32_t max_attempts = 3;
  /// First retry delay; doubles with every further attempt.
  std::chrono::milliseconds retry_base{500};
  /// Multiplies the realistic profile's sleeps (tests use e.g. 0.05).
  double latency_scale = 1.0;
  /// How often the watcher looks at the pools for waiting orders.
  std::chrono::milliseconds watch_interval{100};
  /// Seeds the simulated latencies (--sim-seed); unseeded, they differ per run.
  std::optional<std::uint64_t> seed;
  /// A market order (or a fired limit order) splits across the venues when
  /// that beats the best one by more than this, after the second
  /// transaction's fee.
  std::uint32_t split_min_gain_bps = 10;
  /// How long after its attempt is decided a transaction can land
  /// (--sim-tx-validity, simulated time): the chain refuses it later.
  std::chrono::milliseconds tx_validity{std::chrono::seconds(60)};
  /// Asked before each slice of a recurring order starts (its key's
  /// liveness and write limit); none: every slice starts when due.
  SliceGate slice_gate{};
  /// Asked as a waiting order begins to wait and as it fires; none: every
  /// key lets its orders trade.
  KeyCheck key_check{};
};

class Executor {
 public:
  Executor(boost::asio::io_context& ioc, OrderStore& store, const Market& market, SimChain& chain,
           ExecutorOptions options, EngineMetrics& metrics);
  ~Executor();

  /// Resumes the log's active orders, as check_resumable read them, and
  /// subscribes to new submissions. Call once, before the log accepts
  /// appends from the API.
  void start(std::vector<OrderSnapshot> resumable);
  /// The same, for a log that others append to meanwhile (a cluster
  /// partition taken over): subscribes first, then reads what to resume, so
  /// no submission falls between the two (one seen twice runs once).
  void start(const std::function<std::vector<OrderSnapshot>()>& read_resumable);
  /// Stops starting new steps; blocks until in-flight steps are logged or
  /// `timeout` passes. Returns whether every run finished.
  bool stop(std::chrono::milliseconds timeout);
  /// stop() has taken effect and no step is in flight: the executor no
  /// longer touches its store (which may then go).
  [[nodiscard]] bool idle() const;

  /// Cancels an order that waits or has not begun its execution, durably
  /// before `done` runs; `seen` is the order as the caller read it from the
  /// log. `done` runs once, on the executor's thread.
  void cancel(const OrderSnapshot& seen, std::function<void(ActionAnswer)> done);
  /// Amends an order that waits (or is about to), durably before `done`
  /// runs, or answers why not; as cancel() otherwise.
  void amend(const OrderSnapshot& seen, Amendment change, std::function<void(ActionAnswer)> done);
  /// Cancels every waiting and recurring order of `key` held here,
  /// recording `reason` (the key was revoked or expired); what already
  /// fired or started runs on.
  void cancel_orders_of(const KeyId& key, std::string reason);
  /// Makes the watcher look at the pools and launches now (a price was set,
  /// a pool launched).
  void poke();
  /// The open limit orders of one direction, grouped by asked price, as
  /// they are now. `done` runs on the executor's thread.
  void book(TokenId input, TokenId output, std::size_t max_levels, std::function<void(BookView)> done);

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
  boost::asio::io_context& ioc_;
  std::uint64_t settle_check_ = 0;  // on the virtual clock, if one runs
  eventlog::CommitSubscription commits_;  // last: goes first, while the rest is whole
};

}  // namespace oee::core
