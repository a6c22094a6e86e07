#pragma once
// Validation of the submit body, with the aliases the reference clients use.

#include <optional>
#include <string>

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "api/http/api_error.h"
#include "api/routes/default_pair.h"
#include "api/routes/number_input.h"
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
inline constexpr std::int64_t kMaxExpiryNs = 30LL * 24 * 3600 * 1'000'000'000;      // 30 days
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

/// What a waiting order's floor is reckoned against.
struct WaitingTerms {
  core::OrderType order_type = core::OrderType::limit;
  core::TokenId input;
  core::Amount amount;
  int out_decimals = 0;
};

/// The field a waiting order's price is given in: a sniper's maxPrice, a
/// limit order's limitPrice.
[[nodiscard]] const char* price_field_name(core::OrderType type);

/// A waiting order's expiry: at most kMaxExpiryNs after `now`.
[[nodiscard]] boost::system::result<void, ApiError> check_expiry_limit(TimestampNs expires_at, TimestampNs now);

/// The least output a waiting order asks for its whole amount: minAmountOut
/// in output decimals, or its price (limitPrice: output per input;
/// sniper's maxPrice: input per output) turned into it, rounded so it never
/// asks less. One of the two is given, not both (400 conflicting_fields).
[[nodiscard]] boost::system::result<core::Amount, ApiError> parse_floor(const WaitingTerms& order,
                                                                        const boost::json::value* min_amount_out,
                                                                        const boost::json::value* price);

}  // namespace oee::api
