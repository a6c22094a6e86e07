#pragma once
// Validation of the submit body, with the aliases the reference clients use.

#include <optional>
#include <string>

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "api/http/api_error.h"
#include "api/routes/default_pair.h"
#include "api/routes/number_input.h"
#include "api/routes/waiting_floor.h"
#include "core/domain/order.h"
#include "core/domain/sim_clock.h"
#include "core/domain/tokens.h"

namespace oee::api {

struct SubmitRequest {
  core::OrderType order_type = core::OrderType::market;
  core::TokenId input;
  core::TokenId output;
  core::Amount amount;
  std::uint32_t slippage_bps = 50;
  /// Limit and sniper orders: the least the whole amount must fetch
  /// (given, or made from limitPrice or maxPrice), and when the order
  /// expires unless triggered.
  core::Amount min_amount_out;
  TimestampNs expires_at;
  bool expiry_given = false;  // expiresAt was in the body (not the default)
  /// Sniper orders: what a launch must show (output is the target token).
  core::SniperChecks checks;
  /// Recurring orders: slices, interval, price range, catch-up.
  core::RecurringTerms recurring;
  /// The body spelled its fields in snake_case only (token_in, amount_in,
  /// ...): the answer then does too (order_id).
  bool snake_case = false;
  /// The amount came as a JSON number, not a decimal string: the answer
  /// echoes what was used as numbers too.
  bool numbers = false;

  /// Equal for equal orders: what an idempotency key is bound to.
  [[nodiscard]] std::string fingerprint() const;
};

inline constexpr std::uint32_t kDefaultSlippageBps = 50;   // 0.5%
inline constexpr std::uint32_t kMinSnakeCaseSlippageBps = 100;  // an explicit max_slippage in snake_case: 1%
inline constexpr std::uint32_t kMaxSlippageBps = 5'000;    // 50%
inline constexpr std::int64_t kDefaultExpiryNs = 24LL * 3600 * 1'000'000'000;       // a day
/// New tokens that snipers may name in all; past it a sniper for a token
/// nobody named yet is refused (503), so requests cannot grow memory at will.
inline constexpr std::size_t kMaxNamedTokens = 100'000;

/// Parses and validates a submit body (already JSON-decoded); expiries are
/// checked against `now`. A sniper's target token, if new, is named only
/// once the whole body is valid. With a `default_pair` (--default-pair), a
/// market order that names neither token trades that pair, the same order
/// as one naming it; one token without the other is still refused.
[[nodiscard]] boost::system::result<SubmitRequest, ApiError> parse_submit(
    const boost::json::value& body, TimestampNs now = core::sim_now(),
    const std::optional<TokenPair>& default_pair = std::nullopt);

}  // namespace oee::api
