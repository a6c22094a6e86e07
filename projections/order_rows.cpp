#include "projections/order_rows.h"

#include <ctime>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/domain/recurring.h"
#include "core/domain/tokens.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_json.h"
#include "core/wire/status_message.h"

namespace oee::projections {

std::string rfc3339(TimestampNs ts) {
  // Events come in bursts within the same second: format each second once.
  thread_local std::int64_t cached_second = -1;
  thread_local char cached[32];
  const std::int64_t second = ts.value / 1'000'000'000;
  if (second != cached_second) {
    const std::time_t secs = static_cast<std::time_t>(second);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
    cached_second = second;
  }
  return fmt::format("{}.{:06d}Z", cached, (ts.value % 1'000'000'000) / 1000);
}

EventRow event_row(const eventlog::Record& record, const core::OrderEvent& decoded) {
  // The row's columns hold the head of the status message; the payload
  // keeps the event's own fields (less for PostgreSQL to parse into jsonb).
  const core::EventType type = core::type_of(decoded);
  EventRow row{static_cast<std::int64_t>(record.seq.value),
               record.order.str(),
               std::string(core::event_name(type)),
               std::string(core::status_name(core::status_after(type))),
               {},
               rfc3339(record.ts)};
  row.payload.reserve(192);
  core::append_status_json(row.payload, record, decoded, core::StatusJsonHead::fields);
  return row;
}

EventRow event_row(const eventlog::Record& record) {
  if (auto decoded = core::decode_event(record.type, record.payload)) return event_row(record, *decoded);
  // Undecodable: the row still records the event, with the error message.
  auto message = core::status_message(record);
  for (const char* key : {"orderId", "seq", "ts", "event", "status"}) message.erase(key);
  return EventRow{static_cast<std::int64_t>(record.seq.value),
                  record.order.str(),
                  "unknown",
                  "unknown",
                  boost::json::serialize(message),
                  rfc3339(record.ts)};
}

OrderRow order_row(const OrderId& id, const core::OrderState& s, Seq last_seq) {
  OrderRow row{id.str(),
               std::string(core::order_type_name(s.order_type)),
               std::string(s.input_token.symbol()),
               std::string(s.output_token.symbol()),
               std::to_string(s.amount_in.base),
               static_cast<int>(s.slippage_bps),
               std::string(core::status_name(s.status)),
               std::nullopt,
               std::nullopt,
               std::nullopt,
               std::nullopt,
               static_cast<int>(s.attempt),
               std::nullopt,
               rfc3339(s.created),
               rfc3339(s.updated),
               s.created.value,
               static_cast<std::int64_t>(last_seq.value),
               s.dismissed,
               std::nullopt,
               std::nullopt,
               std::nullopt,
               s.updated.value};
  if (s.expected_out.base != 0) row.expected_out = std::to_string(s.expected_out.base);
  if (s.min_out.base != 0) row.min_out = std::to_string(s.min_out.base);
  if (s.retry_at.value != 0) row.retry_at_ns = s.retry_at.value;
  if (s.venue) row.dex = std::string(core::venue_name(*s.venue));
  if (!s.tx_id.empty()) row.tx_id = s.tx_id;
  if (s.status == core::Status::confirmed || s.status == core::Status::partially_filled) {
    row.amount_out = std::to_string(s.amount_out.base);
    if (s.input_token && s.output_token) {
      row.executed_price = core::format_ratio(s.amount_out.base, s.output_token.decimals(), core::filled_in(s).base,
                                              s.input_token.decimals());
    }
  }
  if (!s.last_error.empty()) row.last_error = s.last_error;
  if (s.owner) row.owner = s.owner->str();
  if (s.min_amount_out.base != 0) row.min_amount_out = std::to_string(s.min_amount_out.base);
  if (s.expires_at.value != 0) row.expires_at_ns = s.expires_at.value;
  if (s.triggered_at.value != 0) row.triggered_at_ns = s.triggered_at.value;
  if (s.order_type == core::OrderType::sniper) row.checks = s.checks;
  if (s.order_type == core::OrderType::recurring) row.recurring = recurring_json(s);
  if (s.parent) {
    row.parent_id = s.parent->str();
    row.slice = s.slice;
  }
  return row;
}

std::string recurring_json(const core::OrderState& s) {
  boost::json::array skipped;
  for (std::size_t k = 0; k < s.slices.size(); ++k) {
    if (!s.slices[k].child) skipped.emplace_back(k);
  }
  const core::RecurringTerms& t = s.recurring;
  return boost::json::serialize(boost::json::object{
      {"slices", t.slices},
      {"interval", t.interval_s},
      {"minPriceE12", t.min_price_e12},
      {"maxPriceE12", t.max_price_e12},
      {"catchUp", t.catch_up},
      {"firstDueNs", s.first_due.value},
      {"decided", s.slices.size()},
      {"skipped", std::move(skipped)},
      {"lastDueNs", s.slices.empty() ? 0 : s.slices.back().due_at.value}});
}

bool read_recurring(std::string_view json, const OrderId& id, core::OrderState& s) {
  boost::system::error_code ec;
  const auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return false;
  try {
    const auto& o = v.as_object();
    s.recurring = core::RecurringTerms{o.at("slices").to_number<std::uint32_t>(),
                                       o.at("interval").to_number<std::uint32_t>(),
                                       o.at("minPriceE12").to_number<std::uint64_t>(),
                                       o.at("maxPriceE12").to_number<std::uint64_t>(), o.at("catchUp").as_bool()};
    s.first_due = TimestampNs{o.at("firstDueNs").to_number<std::int64_t>()};
    const auto decided = o.at("decided").to_number<std::uint32_t>();
    if (decided > s.recurring.slices) return false;
    std::vector<bool> skipped(decided, false);
    for (const auto& k : o.at("skipped").as_array()) {
      const auto at = k.to_number<std::uint32_t>();
      if (at >= decided) return false;
      skipped[at] = true;
    }
    s.slices.clear();
    for (std::uint32_t k = 0; k < decided; ++k) {
      s.slices.push_back(core::SliceState{skipped[k] ? std::nullopt : std::optional(core::slice_order_id(id, k)),
                                          core::slice_amount(s.amount_in, s.recurring.slices, k), TimestampNs{}});
    }
    if (!s.slices.empty()) s.slices.back().due_at = TimestampNs{o.at("lastDueNs").to_number<std::int64_t>()};
  } catch (const std::exception&) {
    return false;  // a field missing or out of range
  }
  return true;
}

}  // namespace oee::projections
