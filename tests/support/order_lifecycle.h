#pragma once
// Random legal order lifecycles for tests that drive orders through the
// real log without the executor.

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "core/domain/order.h"
#include "core/engine/order_store.h"

namespace oee::testing {

/// A random legal next event for an order in state `s` (never an illegal
/// one): confirmations, retries (AttemptFailed then RoutingStarted{attempt +
/// 1}) and terminal failures all occur. Throws after a terminal status.
core::OrderEvent next_event(const core::OrderState& s, std::mt19937_64& rng);

struct Driven {
  std::vector<OrderId> ids;
  std::vector<core::OrderState> states;
};

/// Draws an order's submission, in place of next_event's.
using SubmissionMaker = std::function<core::OrderSubmitted(std::mt19937_64&)>;

/// Creates `count` orders and drives them through random lifecycles, one
/// event per live order per round (interleaved, so appends are group
/// committed together), waiting for every append. Each order gets a budget
/// of 1 to `max_events` events, so some stay in flight. Throws on any
/// failure (usable from any thread; the caller owns these orders
/// exclusively).
Driven drive_orders(core::OrderStore& store, int count, std::uint64_t seed, int max_events = 20,
                    const SubmissionMaker& submission = {});

/// Appends one event and waits for it; throws on a timeout.
eventlog::Result<core::AppendedEvent> append_and_wait(core::OrderStore& store, const OrderId& id,
                                                      const core::OrderState& current, core::OrderEvent event);

}  // namespace oee::testing
