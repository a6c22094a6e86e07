#pragma once
// The simulated market: one constant-product pool per venue for each listed
// pair, with reserves whose price drifts over time so the venues are
// sometimes several percent apart.
//
// Thread-safe. A pool's reserves are a pure function of (pair, venue, time),
// so quotes are reproducible in tests, until a pool's price is set
// (pin_price: tests and demos steer the market): from then on that pool
// holds the reserves it was set to.
//
// New tokens launch pools over time (launch): a launched pool keeps the
// reserves it launched with, and trades like any other.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/system/result.hpp>

#include "core/domain/tokens.h"
#include "core/domain/venue.h"
#include "eventlog/types.h"

namespace oee::core {

/// A new token's pool, as it launched on one venue.
struct Launch {
  TokenId token;           // the new token
  TokenId quote;           // the listed token it trades against
  Venue venue = Venue::raydium;
  Amount token_reserve{};  // the pool at launch
  Amount quote_reserve{};  // its liquidity
  bool mint_renounced = true;
  bool freeze_authority = false;
  TimestampNs launched_at{};
  std::uint64_t number = 0;  // 1, 2, ...: the order launches happened in
};

/// A launch's pool seen from its quote token's side: what a buy of the new
/// token swaps against.
[[nodiscard]] Pool launch_pool(const Launch& launch);
[[nodiscard]] Pool launch_pool(Venue venue, Amount token_reserve, Amount quote_reserve);

/// Whether both venues list a pool for this pair (either direction) from the
/// start: the listed pairs, whatever launches later.
[[nodiscard]] bool is_listed_pair(const Token& a, const Token& b);

enum class LaunchError { listed_token, unlisted_quote, already_launched, empty_pool, not_recorded };
[[nodiscard]] std::string_view describe(LaunchError e);

class Market {
 public:
  static constexpr std::uint64_t kDefaultSeed = 1;
  explicit Market(std::uint64_t seed = kDefaultSeed);

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

  /// Launches pools for new tokens, all of them or none: each on its
  /// `venue` with the given reserves and flags; the market numbers and
  /// times them. A token has at most one pool per venue, and listed tokens
  /// launch nothing. `record`, if given, is called with the numbered
  /// launches before they take effect (one launch at a time, while pools
  /// and launches are read on); if it returns false, nothing launches.
  boost::system::result<std::vector<Launch>, LaunchError> launch(
      std::vector<Launch> launches, const std::function<bool(std::span<const Launch>)>& record = {});
  boost::system::result<Launch, LaunchError> launch(const Launch& launch);
  /// Puts back launches recorded before, with their numbers and times, all
  /// or none. Returns why not when they are not the next numbers in turn,
  /// or would not launch.
  boost::system::result<void, LaunchError> restore(std::span<const Launch> launches);
  boost::system::result<void, LaunchError> restore(const Launch& launch) { return restore({&launch, 1}); }
  /// How many launches there have been: the last one's number.
  [[nodiscard]] std::uint64_t launch_count() const;
  /// The launches numbered above `after`, in order.
  [[nodiscard]] std::vector<Launch> launches_after(std::uint64_t after) const;
  /// A token's launches, in order.
  [[nodiscard]] std::vector<Launch> launches_of(TokenId token) const;

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

  [[nodiscard]] std::optional<Pool> launched_pool(Venue venue, const Token& in, const Token& out) const;
  // Why `batch` cannot launch, beside the launches so far and each other;
  // launcher_mu_ held.
  [[nodiscard]] std::optional<LaunchError> refusal(std::span<const Launch> batch) const;
  void add(std::span<const Launch> batch);
  // One launcher at a time, across checking, numbering and recording; only
  // its holder changes the launches, so it reads them without launches_mu_,
  // which readers and the change itself take.
  std::mutex launcher_mu_;
  mutable std::mutex launches_mu_;
  std::vector<Launch> launches_;
  std::unordered_map<const Token*, std::vector<std::size_t>> launches_by_token_;  // indexes into launches_
};

}  // namespace oee::core
