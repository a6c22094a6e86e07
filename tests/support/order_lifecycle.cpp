#include "order_lifecycle.h"

#include <stdexcept>
#include <string>

namespace oee::testing {

core::OrderEvent next_event(const core::OrderState& s, std::mt19937_64& rng) {
  using namespace core;
  const int roll = static_cast<int>(rng() % 100);
  const std::uint32_t a = s.attempt;
  const Venue venue = s.venue.value_or(roll % 2 ? Venue::meteora : Venue::raydium);
  switch (s.status) {
    case Status::none: return OrderSubmitted{OrderType::market, "SOL", "USDC", Amount{1'000'000 + rng() % 9}, 50, ""};
    case Status::pending:
      if (roll < 10 || a >= 4) return OrderFailed{a, "gave up after attempt " + std::to_string(a)};
      return RoutingStarted{a + 1};
    case Status::routing:
      if (roll < 20) return AttemptFailed{a, "no route " + std::to_string(roll), TimestampNs{roll}};
      return Routed{a, "SOL", "USDC", s.amount_in, {}, venue, Amount{150'000u + roll}, Amount{149'000}};
    case Status::building:
      if (roll < 15) return AttemptFailed{a, "build failed", TimestampNs{1}};
      return TxSubmitted{a, venue, "tx-" + std::to_string(rng()), Amount{149'000}};
    case Status::submitted:
      if (roll < 25) return AttemptFailed{a, "dropped", TimestampNs{2}};
      if (roll < 30) return OrderFailed{a, "slippage exceeded"};
      return Confirmed{a, venue, s.tx_id, Amount{149'500u + roll}, "SOL", "USDC", s.amount_in};
    case Status::confirmed:
    case Status::failed: break;
  }
  throw std::logic_error("no event after a terminal status");
}

}  // namespace oee::testing
