#pragma once
// Numbers as clients send them: a JSON number (a double, inexact) or a
// decimal string (exact), read into exact amounts and prices.

#include <string>

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "api/http/api_error.h"
#include "core/domain/amount.h"

namespace oee::api {

/// Text of a JSON number or string as the user wrote it, for exact parsing.
/// Doubles are rendered in their shortest round-trip form, without an
/// exponent ("0.1", not 0.1000000000000000055; "0.00001", not 1e-05).
[[nodiscard]] boost::system::result<std::string, ApiError> number_text(const boost::json::value& v,
                                                                      const std::string& field);

/// A JSON number is what the client's language made of a decimal (a double:
/// 0.1 is 0.1000000000000000055...), so digits past what oee keeps are cut
/// instead of refused; `dropped` says whether any of them was not 0, for a
/// value that must then round up. A decimal string is exact: never cut.
struct Cut {
  std::string text;
  bool dropped = false;
};
[[nodiscard]] Cut cut_number(const boost::json::value& v, std::string text, int decimals);

/// Up by the least unit when digits were cut: a floor the client set is
/// never lowered.
[[nodiscard]] core::Amount rounded_up(core::Amount a, bool dropped);

/// A price in whole tokens (of one token per whole token of the other)
/// times 10^12, from `v` written as `text` (number_text's): a JSON number's
/// digits past kPriceDecimals are cut, and with `up` a cut that dropped a
/// digit rounds up (a floor), without it down (a ceiling).
[[nodiscard]] boost::system::result<core::Amount, core::AmountError> price_of(const boost::json::value& v,
                                                                              std::string text, bool up);

}  // namespace oee::api
