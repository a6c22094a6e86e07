#pragma once
// The simulated market: one constant-product pool per venue for each listed
// pair, with reserves whose price drifts over time so the venues are
// sometimes several percent apart.
//
// Thread-safe. A pool's reserves are a pure function of (pair, venue, time),
// so quotes are reproducible in tests, until a pool's price is set
// (pin_price: tests and demos steer the market): from then on that pool
// holds the reserves it was set to.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string_view>

#include "core/domain/tokens.h"
#include "core/domain/venue.h"

namespace oee::core {

class Market {
 public:
  explicit Market(std::uint64_t seed = 1);

  /// Whether both venues list a pool for this pair (either direction).
  [[nodiscard]] bool has_pair(const Token& in, const Token& out) const;
  /// The pool at `at` seen from `in`'s side; nullopt if the pair is not listed.
  [[nodiscard]] std::optional<Pool> pool(Venue venue, const Token& in, const Token& out,
                                         std::chrono::system_clock::time_point at) const;

  /// Every venue's pool at `at`, seen from `in`'s side; nullopt if the pair
  /// is not listed.
  [[nodiscard]] std::optional<Pools> pools(const Token& in, const Token& out,
                                           std::chrono::system_clock::time_point at) const;

  /// Sets the venue's pool for the pair to `price` (whole `quote` tokens
  /// per whole `base` token, times 10^12) by moving its `base` reserve, and
  /// holds it there. False if the pair is not listed or the price is zero
  /// or leaves a reserve empty.
  bool pin_price(Venue venue, const Token& base, const Token& quote, std::uint64_t price_e12);

  static constexpr std::size_t kMaxPairs = 16;

 private:
  struct Reserves {
    Amount base;
    Amount quote;
  };
  [[nodiscard]] Reserves drifting(std::size_t pair, Venue venue, std::chrono::system_clock::time_point at) const;

  std::uint64_t seed_;
  mutable std::mutex pinned_mu_;
  std::array<std::array<std::optional<Reserves>, std::size(kAllVenues)>, kMaxPairs> pinned_{};
  std::atomic<bool> pinned_any_{false};  // spares the lock until a price is set
};

}  // namespace oee::core
