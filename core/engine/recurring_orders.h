#pragma once
// The recurring (DCA/TWAP) orders that run their slices: each active order
// waits here for its next slice's due time, then either skips the slice (its
// quote is outside the price range) or starts it and creates its child, a
// market order the executor runs like any other; once every slice ran or
// was skipped and every child ended, the order completes.
//
// Write-ahead: the parent's sliceStarted is durable before its child is
// created, and a child is created only if the log has none of that id, so a
// restart between the two creates it then, and never twice. Slices start in
// order, each once (the transition table refuses another).
//
// Threading: every method runs on the executor's io_context thread, which
// orders a cancel against the slice decisions: the log takes one first, and
// after a cancel no slice starts.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/domain/api_key.h"
#include "core/domain/market.h"
#include "core/engine/engine_metrics.h"
#include "core/engine/order_store.h"
#include "core/engine/sim_timer.h"
#include "core/engine/waiting_orders.h"

namespace oee::core {

/// What a recurring order's key allows its next slice, asked as the slice
/// falls due: to start (all empty), to wait (`wait`: the key's writes are
/// spent for now), or never (`stop`: why the order is cancelled, e.g. its
/// key was revoked).
struct SliceClearance {
  std::chrono::nanoseconds wait{};
  std::string stop{};
};
using SliceGate = std::function<SliceClearance(const OrderState& parent)>;

class RecurringOrders : public std::enable_shared_from_this<RecurringOrders> {
 public:
  /// `gate`: asked before each slice starts; none: every slice starts.
  RecurringOrders(boost::asio::io_context& ioc, OrderStore& store, const Market& market, EngineMetrics& metrics,
                  SliceGate gate = {});

  /// An active recurring order: its slices run from here on; `cancels`
  /// were sent while it began.
  void take(const OrderId& id, OrderState state, Seq seq, std::vector<ActionDone> cancels = {});
  /// Cancels an order held here once no event of it is on its way to the
  /// log: its remaining slices do not start (a child already created runs on).
  void cancel(const OrderSnapshot& seen, ActionDone done);
  /// Cancels every order held here that `key` owns, recording `reason`
  /// (its key was revoked or expired): a started slice's child runs on.
  void cancel_owned_by(const KeyId& key, const std::string& reason);
  [[nodiscard]] bool holds(const OrderId& id) const { return parents_.contains(id); }
  /// Whether any recurring order is held: the commit listener hands over
  /// the orders that ended only while one is (any thread). Set before a
  /// parent looks at its children, so no child's end is missed.
  [[nodiscard]] bool any() const { return held_.load(std::memory_order_relaxed) != 0; }
  /// Some order ended: if it is an awaited child, its parent looks again.
  void ended(const OrderId& order);
  /// An event of the order that this executor did not write (a cancel
  /// appended by another cluster node): a parent held here reads its state
  /// again, creates a started slice's missing child all the same, and ends
  /// here if the order ended.
  void changed_elsewhere(const OrderId& order);
  void stop();
  /// No event of a recurring order is on its way to the log.
  [[nodiscard]] bool quiet() const;

 private:
  struct Parent {
    explicit Parent(boost::asio::io_context& ioc) : timer(ioc) {}
    OrderState state;
    Seq seq{};
    bool appending = false;
    bool check_child = false;    // whether its last started slice's child is in the log is to be read
    bool child_missing = false;  // its last started slice's child is not in the log yet
    bool stale = false;          // the log may hold events of it that `state` lacks
    std::vector<ActionDone> cancels;
    std::string key_stop;  // why its key no longer lets it trade: it is cancelled at its next step
    std::unordered_map<OrderId, OrderState, OrderIdHash> ended;  // its children that ended, as they ended
    SimTimer timer;
    std::chrono::steady_clock::duration pause{};
  };

  // Decides what the order does next: answers a cancel, creates a missing
  // child, waits for the next slice, starts or skips it, or completes.
  void step(const OrderId& id);
  // Reads a stale parent's state again; false if it could not (it pauses).
  bool reload(const OrderId& id, Parent& p);
  void decide_slice(const OrderId& id, Parent& p);
  void complete_if_ended(const OrderId& id, Parent& p);
  void create_child(const OrderId& id, Parent& p);
  // Appends `event` of `order`: the parent's own, or its last started
  // slice's child's first; `written` goes on once it is durable or refused.
  void write(const OrderId& id, Parent& p, const OrderId& order, OrderEvent event);
  void written(const OrderId& id, bool own, eventlog::Result<AppendedEvent> r);
  void wake_after(const OrderId& id, Parent& p, std::chrono::nanoseconds wait);
  void pause(const OrderId& id, Parent& p, std::string_view why);
  void forget(const OrderId& id);

  boost::asio::io_context& ioc_;
  OrderStore& store_;
  const Market& market_;
  EngineMetrics& metrics_;
  bool stopping_ = false;
  std::unordered_map<OrderId, std::unique_ptr<Parent>, OrderIdHash> parents_;
  SliceGate gate_;
  std::unordered_map<OrderId, OrderId, OrderIdHash> awaited_;  // child -> parent
  std::atomic<std::size_t> held_{0};
};

}  // namespace oee::core
