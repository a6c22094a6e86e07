#include "api/routes/key_request.h"

#include <limits>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/routes/time_text.h"

namespace oee::api {

namespace json = boost::json;

namespace {

boost::system::result<core::Scopes, ApiError> scopes_field(const json::value* v) {
  if (v == nullptr) return bad_request("missing_field", "scopes is required, e.g. [\"orders:write\",\"orders:read\"]", "scopes");
  if (!v->is_array() || v->get_array().empty()) {
    return bad_request("invalid_scopes", "scopes is a non-empty array of orders:write, orders:read, keys:admin", "scopes");
  }
  core::Scopes scopes;
  for (const auto& s : v->get_array()) {
    const auto scope = s.is_string() ? core::parse_scope(s.get_string()) : std::nullopt;
    if (!scope) {
      return bad_request("invalid_scope",
                 fmt::format("unknown scope {}; scopes are orders:write, orders:read, keys:admin", json::serialize(s)),
                 "scopes");
    }
    scopes.add(*scope);
  }
  return scopes;
}

boost::system::result<std::uint32_t, ApiError> rate_member(const json::object& o, std::string_view name) {
  const std::string field = "rateLimit." + std::string(name);
  const auto* v = o.if_contains(name);
  if (v == nullptr) return bad_request("missing_field", field + " is required in a rateLimit", field);
  const auto n = v->is_int64() ? v->get_int64() : v->is_uint64() ? static_cast<std::int64_t>(v->get_uint64()) : -1;
  if (n < 1 || n > kMaxRatePerSecond) {
    return bad_request("invalid_rate_limit", fmt::format("{} is an integer from 1 to {}", field, kMaxRatePerSecond), field);
  }
  return static_cast<std::uint32_t>(n);
}

boost::system::result<std::optional<core::RateLimit>, ApiError> rate_limit_field(const json::value* v) {
  if (v == nullptr) return std::optional<core::RateLimit>{};
  if (v->is_null()) return std::optional(core::RateLimit{});
  if (!v->is_object()) return bad_request("invalid_rate_limit", "rateLimit is {perSecond, burst} or null", "rateLimit");
  for (const auto& kv : v->get_object()) {
    if (kv.key() != "perSecond" && kv.key() != "burst") {
      return bad_request("unknown_field", fmt::format("unknown field rateLimit.{}", std::string_view(kv.key())),
                 "rateLimit." + std::string(kv.key()));
    }
  }
  auto per_second = rate_member(v->get_object(), "perSecond");
  if (!per_second) return per_second.error();
  auto burst = rate_member(v->get_object(), "burst");
  if (!burst) return burst.error();
  return std::optional(core::RateLimit{*per_second, *burst});
}

ApiError exceeds_creator(std::string text, std::string field) {
  return ApiError{403, "exceeds_creator", std::move(text), std::move(field)};
}

bool looser(const core::RateLimit& a, const core::RateLimit& b) {
  return a.unlimited() != b.unlimited() ? a.unlimited() : a.per_second > b.per_second || a.burst > b.burst;
}

}  // namespace

boost::system::result<KeyRequest, ApiError> parse_key_request(const json::value& body, TimestampNs now) {
  if (!body.is_object()) return bad_request("invalid_body", "the body must be a JSON object", "");
  const auto& o = body.get_object();
  for (const auto& kv : o) {
    const std::string_view k = kv.key();
    if (k != "name" && k != "scopes" && k != "rateLimit" && k != "expiresAt") {
      return bad_request("unknown_field", fmt::format("unknown field '{}'", k), std::string(k));
    }
  }
  KeyRequest r;
  const auto* name = o.if_contains("name");
  if (name == nullptr) return bad_request("missing_field", "name is required: what the key is for", "name");
  if (!name->is_string() || name->get_string().empty() || name->get_string().size() > kMaxKeyNameBytes) {
    return bad_request("invalid_name", fmt::format("name is a string of 1 to {} bytes", kMaxKeyNameBytes), "name");
  }
  r.name = name->get_string();
  auto scopes = scopes_field(o.if_contains("scopes"));
  if (!scopes) return scopes.error();
  r.scopes = *scopes;
  auto rate = rate_limit_field(o.if_contains("rateLimit"));
  if (!rate) return rate.error();
  r.rate_limit = *rate;
  auto expires = future_time_field(o.if_contains("expiresAt"), "expiresAt", now);
  if (!expires) return expires.error();
  r.expires_at = *expires;
  return r;
}

boost::system::result<core::ApiKeyCreated, ApiError> key_made_by(const Principal& creator, KeyRequest request,
                                                                const core::KeyHash& hash) {
  core::ApiKeyCreated made{std::move(request.name), request.scopes, hash, {}, request.expires_at, std::nullopt};
  if (creator.kind != Principal::Kind::key) {
    made.rate_limit = request.rate_limit.value_or(kDefaultKeyRateLimit);
    return made;
  }
  made.created_by = creator.key;
  if ((request.scopes.bits() & ~creator.scopes.bits()) != 0) {
    return exceeds_creator("a key may give only scopes it has itself", "scopes");
  }
  if (creator.expires_at) {
    if (!made.expires_at) {
      made.expires_at = creator.expires_at;
    } else if (*made.expires_at > *creator.expires_at) {
      return exceeds_creator("a key may not make one that outlives it: expiresAt is after its own", "expiresAt");
    }
  }
  const core::RateLimit own = creator.rate_limit.unlimited() ? kDefaultKeyRateLimit : creator.rate_limit;
  made.rate_limit = request.rate_limit.value_or(own);
  if (!creator.rate_limit.unlimited() && looser(made.rate_limit, creator.rate_limit)) {
    return exceeds_creator("a key may not make one with a looser rate limit than its own", "rateLimit");
  }
  return made;
}

}  // namespace oee::api
