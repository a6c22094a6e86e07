#pragma once
// Recurring (DCA/TWAP) orders: when each slice falls due, whether its quote
// is inside the order's price range, and what its slices came to.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/domain/order.h"

namespace oee::core {

/// The id of a recurring order's slice `k`'s order: the same on every node
/// and after every restart (UUIDv5 of the parent's id and k).
[[nodiscard]] OrderId slice_order_id(const OrderId& parent, std::uint32_t k);

/// A recurring order's slice `k` of `amount` in `slices`: equal parts, the
/// remainder spread one unit each over the first slices.
[[nodiscard]] Amount slice_amount(Amount amount, std::uint32_t slices, std::uint32_t k);

/// When slice number `state.slices.size()` falls due at `now`, which its
/// event records and the next one's is reckoned from. The first is due when
/// the schedule began, each next one an interval after the previous one's
/// due time. A slice more than an interval late (the engine was down) is
/// due now and, unless the order catches up, so moves the schedule: the
/// ones after it follow an interval apart from now, so missed intervals do
/// not run back to back.
[[nodiscard]] TimestampNs next_slice_due(const OrderState& parent, TimestampNs now);

/// Why a slice quoted `out` for `in` is skipped: its price (output per
/// input, whole tokens) is below minPrice or above maxPrice; none when it
/// is inside. Exact: no floating point.
[[nodiscard]] std::optional<std::string> outside_price_range(const RecurringTerms& terms, Amount in, int in_decimals,
                                                             Amount out, int out_decimals);

/// Whether `out` for `in` is below (-1), at (0) or above (1) `price_e12`
/// (output per input, whole tokens, times 10^12).
[[nodiscard]] int compare_price(Amount in, int in_decimals, Amount out, int out_decimals, std::uint64_t price_e12);

/// A recurring order's slices so far. A slice is done once its child
/// order ended (confirmed, partially filled, failed or cancelled), skipped
/// when its quote was outside the price range, and left otherwise (running,
/// or not yet due). Spent and received are the children's fills.
struct RecurringProgress {
  std::uint32_t done = 0;
  std::uint32_t skipped = 0;
  std::uint32_t left = 0;
  std::uint32_t running = 0;  // of those left: children created that have not ended
  Amount spent{};
  Amount received{};
};
/// `children[i]` is the state of the child of the i-th started slice (in
/// slice order, skipped slices have none), or null if it is not found yet.
[[nodiscard]] RecurringProgress recurring_progress(const OrderState& parent,
                                                   const std::vector<const OrderState*>& children);

}  // namespace oee::core
