#pragma once
// Splitting one order across the two venues' constant-product pools: the
// division of the amount that maximises the total output, and whether it
// beats the best single venue once a second transaction's fee is paid.

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/domain/venue.h"

namespace oee::core {

/// Two legs, one per venue in kAllVenues order, each quoted exactly.
struct SplitPlan {
  std::array<Quote, std::size(kAllVenues)> legs;
  Amount total_out;  // both legs' outputs, before the second transaction's fee
};

/// The split of `amount_in` between the two pools (both legs at least one
/// base unit) with the largest total exact output: the continuous optimum
/// (where both pools' marginal outputs after fees are equal), found in
/// 128-bit integers, then the best of the integer splits around it. None
/// when the amount cannot be split or a pool is empty.
[[nodiscard]] std::optional<SplitPlan> best_split(const Pools& pools, Amount amount_in);

/// Whether `split`, less `network_fee_out` (the second transaction's fee,
/// in output units), beats `single` (the best one-venue output) by more than
/// `min_gain_bps` of it.
[[nodiscard]] bool split_pays(const SplitPlan& split, Amount network_fee_out, Amount single,
                              std::uint32_t min_gain_bps);

/// One part of a split order's amount, on one venue: its own transaction
/// with its own floor.
struct Leg {
  Venue venue = Venue::raydium;
  Amount amount_in{};
  Amount expected_out{};
  Amount min_out{};
  friend bool operator==(const Leg&, const Leg&) = default;
};

/// A split's legs with their floors: with `own_floor` (a limit order's),
/// that floor shared by the legs' expected outputs, rounded up; else each
/// leg's expected output less `slippage_bps`, rounded down.
[[nodiscard]] std::vector<Leg> legs_of(const SplitPlan& plan, std::optional<Amount> own_floor,
                                       std::uint32_t slippage_bps);
/// The legs' floors together: a split order's min out.
[[nodiscard]] Amount legs_min_out(const std::vector<Leg>& legs);
/// The legs' expected outputs together.
[[nodiscard]] Amount legs_expected_out(const std::vector<Leg>& legs);
/// The venue of the larger leg (by amount in; a tie: the first).
[[nodiscard]] Venue larger_leg_venue(const std::vector<Leg>& legs);

/// The fee of a second transaction: 5,000 lamports of SOL.
inline constexpr std::uint64_t kSecondTxFeeLamports = 5'000;

}  // namespace oee::core
