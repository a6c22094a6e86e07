#pragma once
// When a waiting order fires: the trigger math, on exact quotes.
//
// A limit order fires when the best venue's exact quote for its whole
// amount (fee and price impact included) reaches its threshold. A pool's
// spot price after fee bounds every quote from above, so it serves as a
// cheap filter, never as the condition itself.

#include <optional>

#include "core/domain/router.h"

namespace oee::core {

/// Whether a threshold of `min_out` for `amount` asks a lower price than
/// `other_min_out` for `other_amount` (min_out / amount, compared exactly).
[[nodiscard]] bool asks_less(Amount min_out, Amount amount, Amount other_min_out, Amount other_amount);

/// Whether the pool's spot price after its fee could pay `min_out` for
/// `amount`: false means no exact quote on this pool can. Monotone in the
/// threshold: false for one price means false for every higher one.
[[nodiscard]] bool spot_reaches(const Pool& pool, Amount amount, Amount min_out);

/// The venues' exact quotes for `amount` and the best of them, if it pays
/// at least `min_out` (and something); nullopt otherwise.
[[nodiscard]] std::optional<RouteDecision> fires(const Pools& pools, Amount amount, Amount min_out);

/// The pool after a swap of the quote's input for its output: what the
/// next order's check must see.
[[nodiscard]] Pool after_swap(const Pool& pool, const Quote& quote);

}  // namespace oee::core
