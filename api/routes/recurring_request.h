#pragma once
// Validation of a recurring order's own fields in a submit body.

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "api/http/api_error.h"
#include "core/domain/order.h"

namespace oee::api {

inline constexpr std::uint32_t kMinSlices = 2;
inline constexpr std::uint32_t kMaxSlices = 1'000;
inline constexpr std::uint32_t kMaxIntervalS = 30 * 24 * 3600;  // 30 days between slices

/// The body's recurring fields, each null when absent.
struct RecurringFields {
  const boost::json::value* slices;
  const boost::json::value* interval;
  const boost::json::value* min_price;
  const boost::json::value* max_price;
  const boost::json::value* catch_up;
};

/// The terms of a recurring order of `amount` of `input`: slices (2 to
/// 1000, each at least one base unit), interval (whole seconds, 1 to 30
/// days), an optional price range (output per input: minPrice rounded up,
/// maxPrice down) and catchUp.
[[nodiscard]] boost::system::result<core::RecurringTerms, ApiError> parse_recurring(core::Amount amount,
                                                                                   core::TokenId input,
                                                                                   const RecurringFields& fields);

}  // namespace oee::api
