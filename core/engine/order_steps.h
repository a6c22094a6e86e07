#pragma once
// What the executor does in each stage of an order, the log aside: how long
// the stage waits, which event ends it, and what a failed attempt becomes.
// Used by the executor's thread only.

#include <chrono>
#include <optional>
#include <random>
#include <string>

#include "core/domain/order.h"
#include "core/domain/router.h"
#include "core/engine/executor.h"
#include "core/engine/sim_chain.h"

namespace oee::core {

class OrderSteps {
 public:
  OrderSteps(const Market& market, SimChain& chain, const ExecutorOptions& options);

  /// The deliberate wait of the stage `s` is in: retry backoff, or the
  /// simulated venue and chain latency. Zero for a transaction the chain
  /// already landed (a resumed order): it is confirmed at once.
  [[nodiscard]] std::chrono::steady_clock::duration stage_wait(const OrderState& s);

  /// The event that ends the stage `s` is in, once its wait is over and the
  /// event that began it is durable; none when the order is done. Not for
  /// a stage that needs_chain.
  [[nodiscard]] std::optional<OrderEvent> next_event(const OrderId& id, const OrderState& s);

  /// Whether the event that ends the stage `s` is in needs the chain's
  /// answer to its transaction (tx_request): then event_after_tx makes it,
  /// so that the transactions of many orders go to the chain at once. Only
  /// there does anything happen outside the log, so nothing does before it
  /// is recorded. Resumed or not, the chain answers a transaction that
  /// already landed with its remembered result: it never executes twice.
  [[nodiscard]] static bool needs_chain(const OrderState& s);
  [[nodiscard]] static TxRequest tx_request(const OrderState& s);
  /// None, with `not_now` set, when the step could not be taken now (the
  /// chain could not store the transaction).
  [[nodiscard]] std::optional<OrderEvent> event_after_tx(const OrderState& s, const TxResult& r,
                                                        std::string& not_now) const;
  [[nodiscard]] SimChain& chain() { return chain_; }

 private:
  [[nodiscard]] OrderEvent fail_attempt(const OrderState& s, std::string reason,
                                        std::optional<Quote> executed_on = std::nullopt) const;
  // Routing: the decision on the pools now, split or on one venue.
  [[nodiscard]] OrderEvent route(const OrderId& id, const OrderState& s);
  // The transaction a routed order sends: each leg not filled yet under
  // its own signature, valid for tx_validity from now.
  [[nodiscard]] TxSubmitted transaction(const OrderId& id, const OrderState& s) const;
  // A route and its transaction in one record (`s` routing); the route's
  // own outcome when it is not one (a failure, a limit order re-priced).
  [[nodiscard]] OrderEvent route_and_send(const OrderId& id, const OrderState& s, bool starts_attempt);
  // A pending order's next attempt.
  [[nodiscard]] OrderEvent start_attempt(const OrderId& id, const OrderState& s);
  // The simulated time a route and its transaction take to make.
  [[nodiscard]] std::chrono::steady_clock::duration route_and_build_time();
  // A split order whose legs have all settled in this attempt.
  [[nodiscard]] OrderEvent legs_settled(const OrderState& s) const;
  [[nodiscard]] bool fast() const { return options_.profile == SimProfile::fast; }
  [[nodiscard]] std::chrono::microseconds jitter(int lo_ms, int hi_ms);

  Router router_;
  SimChain& chain_;
  ExecutorOptions options_;
  std::mt19937_64 rng_;
};

}  // namespace oee::core
