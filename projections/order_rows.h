#pragma once
// The projection mapping, pure and synchronous: log records and folded
// order states -> the column values of order_events and orders rows.

#include <optional>
#include <string>

#include "core/domain/order.h"
#include "eventlog/event_log.h"

namespace oee::projections {

struct EventRow {
  std::int64_t seq;
  std::string order_id;
  std::string type;     // "routed"
  std::string status;   // "building"
  std::string payload;  // the stream message's event fields (JSON), without the row's columns
  std::string ts;       // RFC 3339, microseconds
  std::int64_t log_partition = 0;  // the log's partition the seq is of (0: the embedded log)
};

struct OrderRow {
  std::string order_id;
  std::string order_type;
  std::string input_token;
  std::string output_token;
  std::string amount_in;  // base units
  int slippage_bps;
  std::string status;
  std::optional<std::string> dex;
  std::optional<std::string> tx_id;
  std::optional<std::string> executed_price;  // decimal
  std::optional<std::string> amount_out;      // base units
  int attempts;
  std::optional<std::string> last_error;
  std::string created_at;
  std::string updated_at;
  std::int64_t created_ns;
  std::int64_t last_seq;
  bool dismissed;
  std::optional<std::string> expected_out;  // base units
  std::optional<std::string> min_out;       // base units
  std::optional<std::int64_t> retry_at_ns;
  std::int64_t updated_ns;
  std::optional<std::string> owner{};  // the submitting API key's id
  std::optional<std::string> min_amount_out{};    // base units; limit and sniper orders
  std::optional<std::int64_t> expires_at_ns{};    // limit and sniper orders
  std::optional<std::int64_t> triggered_at_ns{};  // when it last fired
  std::optional<core::SniperChecks> checks{};     // sniper orders
  std::optional<std::string> recurring{};  // a recurring order's terms and schedule (recurring_json)
  std::optional<std::string> parent_id{};  // a slice's recurring order
  std::optional<std::int64_t> slice{};     // and its place in that order's schedule
};

[[nodiscard]] std::string rfc3339(TimestampNs ts);
[[nodiscard]] EventRow event_row(const eventlog::Record& record);
/// The same for a record whose event is already decoded.
[[nodiscard]] EventRow event_row(const eventlog::Record& record, const core::OrderEvent& event);
[[nodiscard]] OrderRow order_row(const OrderId& id, const core::OrderState& state, Seq last_seq);

/// A recurring order's `recurring` column: its terms, when its schedule
/// began, how many slices it decided, which of them it skipped and the last
/// one's due time. Its slices' order ids follow from its own.
[[nodiscard]] std::string recurring_json(const core::OrderState& state);
/// The same read back into `state` (whose id is `id`); false if it is not one.
[[nodiscard]] bool read_recurring(std::string_view json, const OrderId& id, core::OrderState& state);

}  // namespace oee::projections
