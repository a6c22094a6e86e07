#pragma once
// Validation of POST /api/keys: {name, scopes, rateLimit:{perSecond, burst},
// expiresAt}.

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include "api/auth/access.h"
#include "api/http/api_error.h"
#include "core/domain/api_key.h"

namespace oee::api {

struct KeyRequest {
  std::string name;
  core::Scopes scopes;
  // nullopt: not given; unlimited: `"rateLimit": null`, asked for on purpose.
  std::optional<core::RateLimit> rate_limit;
  std::optional<TimestampNs> expires_at;
};

inline constexpr std::size_t kMaxKeyNameBytes = 100;
inline constexpr std::uint32_t kMaxRatePerSecond = 1'000'000;
/// What a key gets when its creator gives no rate limit and has none.
inline constexpr core::RateLimit kDefaultKeyRateLimit{100, 200};

/// The key `creator` may make of `request`: the admin key any (no rate
/// limit given: the default); an API key one at most as strong as itself:
/// a subset of its scopes, no later expiry, no looser rate limit, what is
/// not given taken from it. 403 `exceeds_creator` otherwise.
[[nodiscard]] boost::system::result<core::ApiKeyCreated, ApiError> key_made_by(const Principal& creator,
                                                                              KeyRequest request,
                                                                              const core::KeyHash& hash);

/// `now`: an expiry not after it is refused.
[[nodiscard]] boost::system::result<KeyRequest, ApiError> parse_key_request(const boost::json::value& body,
                                                                           TimestampNs now);

}  // namespace oee::api
