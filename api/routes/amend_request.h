#pragma once
// Validation of an amend body: a waiting order's new floor and/or expiry.

#include <boost/json/fwd.hpp>
#include <boost/system/result.hpp>

#include "api/http/api_error.h"
#include "core/domain/order.h"

namespace oee::api {

/// Parses `{limitPrice | maxPrice | minAmountOut, expiresAt}` (at least one;
/// snake_case spellings too) for `order`: the floor as at submission, from
/// its amount and tokens; the expiry after `now` and at most 30 days ahead.
/// A market order, or a field its type has none of, is a 400.
[[nodiscard]] boost::system::result<core::Amendment, ApiError> parse_amend(const boost::json::value& body,
                                                                           const core::OrderState& order,
                                                                           TimestampNs now);

}  // namespace oee::api
