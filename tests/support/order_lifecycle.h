#pragma once
// Random legal order lifecycles for tests that drive orders through the
// real log without the executor.

#include <random>

#include "core/order.h"

namespace oee::testing {

/// A random legal next event for an order in state `s` (never an illegal
/// one): confirmations, retries (AttemptFailed then RoutingStarted{attempt +
/// 1}) and terminal failures all occur. Throws after a terminal status.
core::OrderEvent next_event(const core::OrderState& s, std::mt19937_64& rng);

}  // namespace oee::testing
