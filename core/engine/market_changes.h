#pragma once
// How the simulated market is changed, beside the drift every node
// computes the same: launches of new tokens' pools and prices set by hand
// (--sim-control). A change is kept durably before it takes effect: on
// this machine's disk (LaunchJournal), or in the cluster, where every node
// applies it (SharedMarket).

#include <cstdint>
#include <vector>

#include <boost/system/result.hpp>

#include "core/domain/market.h"

namespace oee::core {

/// A pool's price set by hand: `price_e12` whole `quote` tokens per whole
/// `base` token, times 10^12.
struct PriceSetting {
  Venue venue = Venue::raydium;
  TokenId base;
  TokenId quote;
  std::uint64_t price_e12 = 0;
};

enum class PriceError {
  refused,       // the pair is not listed, or the price would empty the pool
  not_recorded,  // it could not be kept (the cluster is unreachable): nothing changed
};

class MarketChanges {
 public:
  virtual ~MarketChanges() = default;

  [[nodiscard]] virtual const Market& market() const = 0;
  /// Launches on the market, all or none, durably (see Market::launch).
  /// Safe to call from any thread; it waits for the disk or the cluster.
  virtual boost::system::result<std::vector<Launch>, LaunchError> launch(std::vector<Launch> launches) = 0;
  /// Sets and holds a pool's price (see Market::pin_price).
  virtual boost::system::result<void, PriceError> set_price(const PriceSetting& setting) = 0;
};

}  // namespace oee::core
