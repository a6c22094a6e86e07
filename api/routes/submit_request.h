#pragma once
// Validation of the submit body, with the aliases the reference clients use.

#include <string>

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "api/http/api_error.h"
#include "core/domain/order.h"
#include "core/domain/tokens.h"

namespace oee::api {

struct SubmitRequest {
  core::OrderType order_type = core::OrderType::market;
  core::TokenId input;
  core::TokenId output;
  core::Amount amount;
  std::uint32_t slippage_bps = 50;
  /// The body spelled its fields in snake_case only (token_in, amount_in,
  /// ...): the answer then does too (order_id).
  bool snake_case = false;

  /// Equal for equal orders: what an idempotency key is bound to.
  [[nodiscard]] std::string fingerprint() const;
};

inline constexpr std::uint32_t kDefaultSlippageBps = 50;   // 0.5%
inline constexpr std::uint32_t kMaxSlippageBps = 5'000;    // 50%

/// Parses and validates a submit body (already JSON-decoded).
[[nodiscard]] boost::system::result<SubmitRequest, ApiError> parse_submit(const boost::json::value& body);

/// Text of a JSON number or string as the user wrote it, for exact parsing.
/// Doubles are rendered in their shortest round-trip form ("0.1", not 0.1000000000000000055).
[[nodiscard]] boost::system::result<std::string, ApiError> number_text(const boost::json::value& v,
                                                                      const std::string& field);

}  // namespace oee::api
