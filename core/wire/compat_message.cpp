#include "core/wire/compat_message.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <ctime>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

namespace oee::core {

namespace json = boost::json;

namespace {

// The fields the oee.v1 stream writes as exact decimal strings, and their
// snake_case copies.
constexpr std::array<std::string_view, 11> kDecimalFields{
    "amountIn", "slippage",    "expectedOut", "minOut",          "amountOut", "executedPrice",
    "price",    "fee",         "priceImpact", "execution_price", "amount_out"};

// Digits the stream wrote: an optional sign, digits, and at most one dot
// between digits. Exactly what JSON accepts as a number without exponent.
bool is_plain_decimal(std::string_view s) {
  if (!s.empty() && s.front() == '-') s.remove_prefix(1);
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  if (s.size() > 1 && s[0] == '0' && s[1] != '.') return false;  // JSON forbids leading zeros
  bool dot = false;
  for (const char c : s) {
    if (c == '.') {
      if (dot) return false;
      dot = true;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return true;
}

void append_value(std::string& out, std::string_view key, const json::value& v);

void append_object(std::string& out, const json::object& o) {
  out += '{';
  bool first = true;
  for (const auto& kv : o) {
    if (!first) out += ',';
    first = false;
    out += json::serialize(json::string_view(kv.key()));
    out += ':';
    append_value(out, kv.key(), kv.value());
  }
  out += '}';
}

void append_value(std::string& out, std::string_view key, const json::value& v) {
  if (v.is_string() &&
      std::find(kDecimalFields.begin(), kDecimalFields.end(), key) != kDecimalFields.end() &&
      is_plain_decimal(v.get_string())) {
    out += std::string_view(v.get_string());
  } else if (v.is_object()) {
    append_object(out, v.get_object());
  } else if (v.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& item : v.get_array()) {
      if (!first) out += ',';
      first = false;
      append_value(out, {}, item);
    }
    out += ']';
  } else {
    out += json::serialize(v);
  }
}

// The reference clients' names for fields oee spells in camelCase.
constexpr std::array<std::pair<std::string_view, std::string_view>, 5> kSnakeNames{{
    {"orderId", "order_id"},
    {"txHash", "tx_hash"},
    {"executedPrice", "execution_price"},
    {"amountOut", "amount_out"},
    {"error", "reason"},
}};

// Nanoseconds since the epoch as ISO 8601 UTC with milliseconds, as
// JavaScript's Date.toISOString writes it: "2026-11-18T11:06:40.123Z".
std::string iso8601_ms(std::int64_t ns) {
  const std::int64_t ms = ns / 1'000'000 - (ns % 1'000'000 < 0 ? 1 : 0);
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char out[64];  // room for any int the fields could hold: the warning counts them
  const auto millis = static_cast<int>(((ms % 1000) + 1000) % 1000);
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return out;
}

}  // namespace

std::optional<std::string> compat_message(std::string_view v1_text, std::string_view order) {
  boost::system::error_code ec;
  json::value parsed = json::parse(json::string_view(v1_text.data(), v1_text.size()), ec);
  if (ec || !parsed.is_object()) return std::nullopt;
  json::object& m = parsed.get_object();
  if (const auto* type = m.if_contains("type")) {
    if (*type != "error") return std::nullopt;
    const auto* error = m.if_contains("error");
    const auto text = [&](std::string_view key) -> std::string_view {
      const auto* v = error != nullptr && error->is_object() ? error->get_object().if_contains(key) : nullptr;
      return v != nullptr && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
    };
    return compat_error(order, text("code"), text("message"), text("field"));
  }
  if (!m.contains("status")) return std::nullopt;
  // Not a change of status: a reference client would show a dismissal as
  // a second failure and replace the real reason with the operator's, and
  // a turned-down launch (with its reason) as a failure of a sniper that
  // watches on, an amendment as a second `open`, and a split order's leg
  // as a second `submitted`.
  if (const auto* event = m.if_contains("event");
      event != nullptr && (*event == "deadLetterDismissed" || *event == "launchRejected" || *event == "amended" ||
                          *event == "watchAmended" || *event == "legSettled")) {
    return std::string();
  }
  // The reference clients end on confirmed or failed: a split order whose
  // other leg failed for good ends `failed` for them, with what its filled
  // leg fetched in amount_out and the failed leg in reason.
  if (auto* status = m.if_contains("status"); status != nullptr && *status == "partially_filled") *status = "failed";
  for (const auto& [camel, snake] : kSnakeNames) {
    if (const auto* v = m.if_contains(camel); v != nullptr && !m.contains(snake)) {
      json::value copy = *v;
      m[snake] = std::move(copy);
    }
  }
  // Seed client 004 prints `id` and `timestamp` of every update.
  if (const auto* id = m.if_contains("orderId"); id != nullptr && !m.contains("id")) {
    json::value copy = *id;
    m["id"] = std::move(copy);
  }
  if (const auto* ts = m.if_contains("ts"); ts != nullptr && ts->is_int64() && !m.contains("timestamp")) {
    m["timestamp"] = iso8601_ms(ts->get_int64());
  }
  std::string out;
  out.reserve(v1_text.size() + 160);
  append_object(out, m);
  return out;
}

std::string compat_error(std::string_view order, std::string_view code, std::string_view message,
                         std::string_view field) {
  const auto or_null = [](std::string_view s) { return s.empty() ? json::value(nullptr) : json::value(s); };
  return json::serialize(json::object{
      {"orderId", or_null(order)},
      {"status", "error"},
      {"error", json::object{{"code", code}, {"message", message}, {"field", or_null(field)}}}});
}

}  // namespace oee::core
