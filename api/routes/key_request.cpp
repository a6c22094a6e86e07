#include "api/routes/key_request.h"

#include <charconv>
#include <chrono>
#include <limits>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace oee::api {

namespace json = boost::json;

namespace {

ApiError bad(std::string code, std::string message, std::string field) {
  return ApiError{400, std::move(code), std::move(message), std::move(field)};
}

// Exactly `n` digits at `at`, or -1.
int digits(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return -1;
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data() + at, s.data() + at + n, v);
  return ec == std::errc{} && end == s.data() + at + n ? v : -1;
}

boost::system::result<core::Scopes, ApiError> scopes_field(const json::value* v) {
  if (v == nullptr) return bad("missing_field", "scopes is required, e.g. [\"orders:write\",\"orders:read\"]", "scopes");
  if (!v->is_array() || v->get_array().empty()) {
    return bad("invalid_scopes", "scopes is a non-empty array of orders:write, orders:read, keys:admin", "scopes");
  }
  core::Scopes scopes;
  for (const auto& s : v->get_array()) {
    const auto scope = s.is_string() ? core::parse_scope(s.get_string()) : std::nullopt;
    if (!scope) {
      return bad("invalid_scope",
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
  if (v == nullptr) return bad("missing_field", field + " is required in a rateLimit", field);
  const auto n = v->is_int64() ? v->get_int64() : v->is_uint64() ? static_cast<std::int64_t>(v->get_uint64()) : -1;
  if (n < 1 || n > kMaxRatePerSecond) {
    return bad("invalid_rate_limit", fmt::format("{} is an integer from 1 to {}", field, kMaxRatePerSecond), field);
  }
  return static_cast<std::uint32_t>(n);
}

boost::system::result<core::RateLimit, ApiError> rate_limit_field(const json::value* v) {
  if (v == nullptr || v->is_null()) return core::RateLimit{};
  if (!v->is_object()) return bad("invalid_rate_limit", "rateLimit is {perSecond, burst} or null", "rateLimit");
  for (const auto& kv : v->get_object()) {
    if (kv.key() != "perSecond" && kv.key() != "burst") {
      return bad("unknown_field", fmt::format("unknown field rateLimit.{}", std::string_view(kv.key())),
                 "rateLimit." + std::string(kv.key()));
    }
  }
  auto per_second = rate_member(v->get_object(), "perSecond");
  if (!per_second) return per_second.error();
  auto burst = rate_member(v->get_object(), "burst");
  if (!burst) return burst.error();
  return core::RateLimit{*per_second, *burst};
}

// Whole milliseconds since the epoch, as a positive integer small enough
// to be a time.
std::optional<TimestampNs> epoch_ms(const json::value& v) {
  constexpr std::int64_t kMaxMs = std::numeric_limits<std::int64_t>::max() / 1'000'000;
  boost::system::error_code ec;
  const auto ms = v.to_number<std::int64_t>(ec);
  if (ec || ms <= 0 || ms > kMaxMs) return std::nullopt;
  return TimestampNs{ms * 1'000'000};
}

}  // namespace

std::optional<TimestampNs> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  const int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  const int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok() || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  std::size_t at = 19;
  std::int64_t fraction_ns = 0;
  if (at < s.size() && s[at] == '.') {
    std::int64_t scale = 100'000'000;
    const std::size_t first = ++at;
    for (; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, scale /= 10) fraction_ns += (s[at] - '0') * scale;
    if (at == first || at - first > 9) return std::nullopt;
  }
  std::int64_t offset_s = 0;
  if (at + 1 == s.size() && (s[at] == 'Z' || s[at] == 'z')) {
    ++at;
  } else if (at + 6 == s.size() && (s[at] == '+' || s[at] == '-') && s[at + 3] == ':') {
    const int oh = digits(s, at + 1, 2), om = digits(s, at + 4, 2);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return std::nullopt;
    offset_s = (s[at] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    at += 6;
  } else {
    return std::nullopt;  // a time without its zone names no instant
  }
  if (at != s.size()) return std::nullopt;
  const std::int64_t seconds =
      sys_days(date).time_since_epoch().count() * 86'400 + h * 3600 + mi * 60 + sec - offset_s;
  // Nanoseconds since 1970 in 64 bits end in 2262.
  constexpr std::int64_t kLastSecond = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
  if (seconds < 0 || seconds > kLastSecond) return std::nullopt;
  return TimestampNs{seconds * 1'000'000'000 + fraction_ns};
}

boost::system::result<KeyRequest, ApiError> parse_key_request(const json::value& body, TimestampNs now) {
  if (!body.is_object()) return bad("invalid_body", "the body must be a JSON object", "");
  const auto& o = body.get_object();
  for (const auto& kv : o) {
    const std::string_view k = kv.key();
    if (k != "name" && k != "scopes" && k != "rateLimit" && k != "expiresAt") {
      return bad("unknown_field", fmt::format("unknown field '{}'", k), std::string(k));
    }
  }
  KeyRequest r;
  const auto* name = o.if_contains("name");
  if (name == nullptr) return bad("missing_field", "name is required: what the key is for", "name");
  if (!name->is_string() || name->get_string().empty() || name->get_string().size() > kMaxKeyNameBytes) {
    return bad("invalid_name", fmt::format("name is a string of 1 to {} bytes", kMaxKeyNameBytes), "name");
  }
  r.name = name->get_string();
  auto scopes = scopes_field(o.if_contains("scopes"));
  if (!scopes) return scopes.error();
  r.scopes = *scopes;
  auto rate = rate_limit_field(o.if_contains("rateLimit"));
  if (!rate) return rate.error();
  r.rate_limit = *rate;
  if (const auto* expires = o.if_contains("expiresAt"); expires != nullptr && !expires->is_null()) {
    const auto at = expires->is_string() ? parse_rfc3339(expires->get_string()) : epoch_ms(*expires);
    if (!at) {
      return bad("invalid_expiry",
                 "expiresAt is an RFC 3339 time such as 2027-01-31T00:00:00Z, milliseconds since the epoch, or null",
                 "expiresAt");
    }
    if (*at <= now) return bad("invalid_expiry", "expiresAt is in the past", "expiresAt");
    r.expires_at = *at;
  }
  return r;
}

}  // namespace oee::api
