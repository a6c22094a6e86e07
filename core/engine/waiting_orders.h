#pragma once
// The orders that wait for a trigger, and every decision that ends a wait:
// the book of open limit orders, the sniper orders watching for launches,
// their watcher, triggers, cancels, amendments and expiries. The
// executor's running orders ask it about cancels at each decision and hand
// it an order once it waits.
//
// Threading: every method runs on the executor's io_context thread (one
// thread), which orders a cancel, an amendment and a trigger of the same
// order; each goes through the log, whichever is appended first wins, and
// the state machine refuses what no longer applies.

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "core/domain/api_key.h"
#include "core/domain/limit_book.h"
#include "core/domain/market.h"
#include "core/domain/sniper_watch.h"
#include "core/engine/engine_metrics.h"
#include "core/engine/order_store.h"
#include "core/engine/sim_timer.h"

namespace oee::core {

/// One direction of the limit order book.
struct BookView {
  std::vector<BookLevel> levels;  // lowest asked price first
  std::size_t orders = 0;         // in the whole direction
};

/// What a cancel or an amendment came to.
struct ActionAnswer {
  enum class Outcome {
    done,         // cancelled (now or before) or amended: `order` says so
    too_late,     // it was triggered, or ended otherwise, first
    unavailable,  // the log refused the event, or the engine is stopping
  };
  Outcome outcome = Outcome::unavailable;
  std::optional<OrderSnapshot> order;  // as it is after the answer
  std::string error;                   // why, for too_late and unavailable
};

using ActionDone = std::function<void(ActionAnswer)>;

/// Why an order's API key no longer lets it trade (revoked, expired), or
/// empty: asked as a waiting order fires (docs/security.md).
using KeyCheck = std::function<std::string(const OrderState&)>;

/// The reason a client's cancel records.
inline constexpr std::string_view kCancelledByOwner = "cancelled by its owner";

/// The answer to a cancel or an amendment nobody could take up now.
[[nodiscard]] ActionAnswer unavailable_answer(std::string why);

/// The cancel answer an order's state gives: cancelled, too late, or (for
/// an order that could still be cancelled but nobody runs) unavailable.
[[nodiscard]] ActionAnswer cancel_answer_for(const OrderSnapshot& order);

/// The amend answer an order's state gives when no amendment of it is
/// taken up: too late once it was triggered or ended, unavailable while it
/// could still wait (nobody here runs it, or it does not wait yet).
[[nodiscard]] ActionAnswer amend_answer_for(const OrderSnapshot& order);

class WaitingOrders : public std::enable_shared_from_this<WaitingOrders> {
 public:
  /// What the executor does for it: whether an order's coroutine runs (or
  /// waits for a slot), and run an order that was triggered.
  struct Runner {
    std::function<bool(const OrderId&)> running;
    std::function<void(const OrderId&)> run;
  };

  WaitingOrders(boost::asio::io_context& ioc, OrderStore& store, const Market& market, EngineMetrics& metrics,
                std::chrono::milliseconds watch_interval, KeyCheck key_check = {});

  /// Starts the watcher; `runner` must stay callable while this lives.
  void start(Runner runner);
  /// Stops the watcher, answers every waiting cancel as unavailable and
  /// lets go of the orders it held (they leave the waiting count).
  void stop();

  /// A cancel of the order the caller read as `seen`: of a waiting order,
  /// here and now; of a running one, at its next decision
  /// (cancel_requested); of any other, as the log holds it now (or as
  /// `seen` stands, if it cannot be read).
  void cancel(const OrderSnapshot& seen, ActionDone done);
  /// An amendment of the order the caller read as `seen`: of a waiting
  /// order, here and now (answered at once if it changes nothing); of one
  /// about to wait (a new limit order, a reopened one) or whose wait's end
  /// is on its way to the log, once it waits or ends; of any other, as
  /// the log holds it now (or as `seen` stands, if it cannot be read).
  void amend(const OrderSnapshot& seen, Amendment change, ActionDone done);
  /// Cancels every waiting order `key` owns, recording `reason` (its key
  /// was revoked or expired); one whose wait is ending goes on.
  void cancel_owned_by(const KeyId& key, const std::string& reason);
  /// An order that now waits: into the book (limit) or the watch (sniper),
  /// unless its time is up or a cancel waits for it.
  void park(const OrderId& id, OrderState state, Seq seq);
  /// Another writer appended an event of this order (a cancel or an
  /// amendment sent to another node of a cluster): if it no longer waits,
  /// it leaves the book or watch now, not when its trigger or expiry is
  /// refused; if it waits on amended, it waits on the new terms.
  void changed_elsewhere(const OrderId& id);
  /// Looks at the pools and launches now (a price was set, a pool launched).
  void poke();
  [[nodiscard]] BookView book(TokenId input, TokenId output, std::size_t max_levels) const;

  /// Whether a cancel waits for this running order's next decision.
  [[nodiscard]] bool cancel_requested(const OrderId& id) const { return cancels_.contains(id); }
  /// Whether a cancel or an amendment of this order waits.
  [[nodiscard]] bool requested(const OrderId& id) const { return cancels_.contains(id) || amends_.contains(id); }
  void answer_cancels(const OrderId& id, const ActionAnswer& answer);
  /// The cancels that wait for the order, for another to answer.
  [[nodiscard]] std::vector<ActionDone> take_cancels(const OrderId& id);
  void answer_amends(const OrderId& id, const ActionAnswer& answer);
  /// Answers every cancel and amendment of the order as it now stands.
  void answer_all(const OrderSnapshot& now);
  void answer_all_unavailable(const OrderId& id, const std::string& why);
  /// Whether the order is here: in the book, or its wait ending.
  [[nodiscard]] bool holds(const OrderId& id) const;
  /// No wait-ending event is on its way to the log.
  [[nodiscard]] bool quiet() const { return settling_.empty(); }

 private:
  [[nodiscard]] OrderSnapshot as_held_now(const OrderSnapshot& seen) const;

  struct Parked {
    OrderState state;
    Seq seq;
  };
  // An order whose wait-ending event the log refused, until its pause is over.
  struct Deferred {
    std::chrono::steady_clock::time_point until;
    Parked order;
  };

  void watch();
  // Expiries first, then prices and launches: an order past its time never
  // fires.
  void look();
  void look_at_pools(TimestampNs observed, std::chrono::system_clock::time_point at);
  void look_at_launches(TimestampNs observed);
  void expire_due(TimestampNs now);
  void fire(const OrderId& id, RouteDecision decision, TimestampNs observed, std::vector<LaunchSeen> launches = {});
  [[nodiscard]] TimestampNs next_expiry() const;
  void repark_deferred();
  Parked unpark(const OrderId& id);
  // Out of the book or watch, its cancel on its way to the log.
  void cancel_parked(const OrderId& id, std::string reason);
  // Takes up the first amendment waiting for the order that changes it
  // (answering those that change nothing); whether one is on its way.
  bool take_amend(const OrderId& id, const Parked& waiting);
  // Answers the amendment whose event is on its way to the log, if any.
  void answer_amending(const OrderId& id, const ActionAnswer& answer);
  void settle(const OrderId& id, Parked waiting, OrderEvent event);
  void settled(const OrderId& id, Parked before, EventType type, eventlog::Result<AppendedEvent> r);

  boost::asio::io_context& ioc_;
  OrderStore& store_;
  const Market& market_;
  EngineMetrics& metrics_;
  std::chrono::milliseconds watch_interval_;
  KeyCheck key_check_;
  Runner runner_;
  bool stopping_ = false;

  LimitBook book_;
  SniperWatch snipers_;
  std::uint64_t launches_seen_ = 0;               // the market's launches up to this number are seen
  std::unordered_set<const Token*> new_watchers_;  // targets with a sniper that has not judged yet
  std::unordered_map<OrderId, Parked, OrderIdHash> parked_;  // the states of the orders in the book or watch
  std::unordered_set<OrderId, OrderIdHash> settling_;        // wait-ending event on its way to the log
  std::unordered_map<OrderId, Deferred, OrderIdHash> deferred_;
  std::chrono::steady_clock::duration settle_pause_{};
  std::chrono::steady_clock::time_point last_refusal_log_{};
  std::unordered_map<OrderId, std::vector<ActionDone>, OrderIdHash> cancels_;
  struct PendingAmend {
    Amendment change;
    ActionDone done;
  };
  std::unordered_map<OrderId, std::deque<PendingAmend>, OrderIdHash> amends_;
  std::unordered_map<OrderId, ActionDone, OrderIdHash> amending_;  // its event on its way to the log
  SimTimer watch_timer_;
};

}  // namespace oee::core
