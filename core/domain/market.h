#pragma once
// The simulated market: one constant-product pool per venue for each listed
// pair, with reserves whose price drifts over time so the venues are
// sometimes several percent apart.
//
// Thread-safe and stateless apart from its seed: a pool's reserves are a
// pure function of (pair, venue, time), so quotes are reproducible in tests.

#include <chrono>
#include <cstdint>
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

 private:
  std::uint64_t seed_;
};

}  // namespace oee::core
