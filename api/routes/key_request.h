#pragma once
// Validation of POST /api/keys: {name, scopes, rateLimit:{perSecond, burst},
// expiresAt}.

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "api/http/api_error.h"
#include "core/domain/api_key.h"

namespace oee::api {

struct KeyRequest {
  std::string name;
  core::Scopes scopes;
  core::RateLimit rate_limit;
  std::optional<TimestampNs> expires_at;
};

inline constexpr std::size_t kMaxKeyNameBytes = 100;
inline constexpr std::uint32_t kMaxRatePerSecond = 1'000'000;

/// `now`: an expiry not after it is refused.
[[nodiscard]] boost::system::result<KeyRequest, ApiError> parse_key_request(const boost::json::value& body,
                                                                           TimestampNs now);

}  // namespace oee::api
