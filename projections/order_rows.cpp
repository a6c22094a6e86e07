#include "projections/order_rows.h"

#include <ctime>

#include <boost/json/serialize.hpp>
#include <fmt/format.h>

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
  return row;
}

}  // namespace oee::projections
