#pragma once
// Times as clients write them: RFC 3339, or milliseconds since the epoch.
// One parser for every route that takes a time (a key's expiresAt, the
// history list's since and until).

#include <cstdint>
#include <optional>
#include <string_view>

#include <boost/json/fwd.hpp>
#include <boost/system/result.hpp>

#include "api/http/api_error.h"

#include "eventlog/types.h"

namespace oee::api {

/// "2026-12-01T00:00:00Z", with optional fractional seconds (digits past
/// the ninth are dropped), a numeric offset ("+02:00") in place of Z, and
/// 't' or ' ' in place of 'T'; within what nanoseconds since the epoch hold
/// in 64 bits (1677 to 2262). nullopt for anything else.
[[nodiscard]] std::optional<TimestampNs> parse_rfc3339(std::string_view text);

/// A JSON time: an RFC 3339 string as above, or a number of whole
/// milliseconds since the epoch (positive); nullopt for anything else.
[[nodiscard]] std::optional<TimestampNs> parse_time_value(const boost::json::value& v);

/// A body's optional future time (an `expiresAt`): absent or null is none;
/// otherwise a time as parse_time_value takes it, after `now`, or a 400
/// invalid_expiry naming `field`.
[[nodiscard]] boost::system::result<std::optional<TimestampNs>, ApiError> future_time_field(
    const boost::json::value* v, const std::string& field, TimestampNs now);

/// RFC 3339 as above, or digits only: milliseconds since the epoch; in ns.
[[nodiscard]] std::optional<std::int64_t> parse_time(std::string_view text);

}  // namespace oee::api
