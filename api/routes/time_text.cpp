#include "api/routes/time_text.h"

#include <charconv>
#include <chrono>
#include <limits>

#include <boost/json/value.hpp>

namespace oee::api {

namespace {

// Exactly `n` digits at `at`, or -1.
int digits(std::string_view s, std::size_t at, std::size_t n) {
  if (at + n > s.size()) return -1;
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data() + at, s.data() + at + n, v);
  return ec == std::errc{} && end == s.data() + at + n ? v : -1;
}

}  // namespace

std::optional<TimestampNs> parse_rfc3339(std::string_view s) {
  using namespace std::chrono;
  const int y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  const int h = digits(s, 11, 2), mi = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':') {
    return std::nullopt;
  }
  const year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok() || h > 23 || mi > 59 || sec > 60) return std::nullopt;  // 60: a leap second
  std::size_t at = 19;
  std::int64_t fraction_ns = 0;
  if (at < s.size() && s[at] == '.') {
    std::int64_t scale = 100'000'000;
    const std::size_t first = ++at;
    for (; at < s.size() && s[at] >= '0' && s[at] <= '9'; ++at, scale /= 10) fraction_ns += (s[at] - '0') * scale;
    if (at == first) return std::nullopt;
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
  constexpr std::int64_t kLimit = std::numeric_limits<std::int64_t>::max() / 1'000'000'000 - 1;
  if (seconds < -kLimit || seconds > kLimit) return std::nullopt;
  return TimestampNs{seconds * 1'000'000'000 + fraction_ns};
}

std::optional<std::int64_t> parse_time(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    std::int64_t ms = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc{} || ms > 9'000'000'000'000) return std::nullopt;
    return ms * 1'000'000;
  }
  const auto at = parse_rfc3339(text);
  if (!at) return std::nullopt;
  return at->value;
}

std::optional<TimestampNs> parse_time_value(const boost::json::value& v) {
  if (v.is_string()) return parse_rfc3339(v.get_string());
  // Whole milliseconds, small enough to be a time in nanoseconds.
  constexpr std::int64_t kMaxMs = std::numeric_limits<std::int64_t>::max() / 1'000'000;
  boost::system::error_code ec;
  const auto ms = v.to_number<std::int64_t>(ec);
  if (ec || ms <= 0 || ms > kMaxMs) return std::nullopt;
  return TimestampNs{ms * 1'000'000};
}

boost::system::result<std::optional<TimestampNs>, ApiError> future_time_field(const boost::json::value* v,
                                                                              const std::string& field, TimestampNs now) {
  if (v == nullptr || v->is_null()) return std::optional<TimestampNs>{};
  const auto at = parse_time_value(*v);
  if (!at) {
    return bad_request("invalid_expiry",
                       field + " is an RFC 3339 time such as 2027-01-31T00:00:00Z, milliseconds since the epoch, or null",
                       field);
  }
  if (*at <= now) return bad_request("invalid_expiry", field + " is in the past", field);
  return std::optional<TimestampNs>(*at);
}

}  // namespace oee::api
