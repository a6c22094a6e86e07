#include "core/status_message.h"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "core/event_codec.h"
#include "core/status_json.h"
#include "core/tokens.h"

namespace oee::core {

namespace json = boost::json;

namespace {

int decimals_of(std::string_view symbol) {
  const Token* t = find_token(symbol);
  return t == nullptr ? 0 : t->decimals;
}

std::string price(Amount out, std::string_view out_token, Amount in, std::string_view in_token) {
  return format_ratio(out.base, decimals_of(out_token), in.base, decimals_of(in_token));
}

}  // namespace

std::string bps_fraction(std::uint32_t bps) { return format_amount(Amount{bps}, 4); }

json::object status_message(const eventlog::Record& record, const OrderEvent& event, json::storage_ptr storage) {
  const EventType type = type_of(event);
  const Status status = status_after(type);
  json::object m(storage);
  m["orderId"] = record.order.str();
  m["seq"] = record.seq.value;
  m["ts"] = record.ts.value;
  m["event"] = event_name(type);
  m["status"] = status_name(status);
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, OrderSubmitted>) {
          m["attempt"] = 0;
          m["orderType"] = order_type_name(e.order_type);
          m["inputToken"] = e.input_token;
          m["outputToken"] = e.output_token;
          m["amountIn"] = format_amount(e.amount_in, decimals_of(e.input_token));
          m["slippage"] = bps_fraction(e.slippage_bps);
        } else if constexpr (std::is_same_v<T, RoutingStarted>) {
          m["attempt"] = e.attempt;
        } else if constexpr (std::is_same_v<T, Routed>) {
          m["attempt"] = e.attempt;
          m["dex"] = venue_name(e.venue);
          json::array quotes(storage);
          for (const auto& q : e.quotes) {
            json::object quote(storage);
            quote["dex"] = venue_name(q.venue);
            quote["amountOut"] = format_amount(q.amount_out, decimals_of(e.output_token));
            quote["price"] = price(q.amount_out, e.output_token, e.amount_in, e.input_token);
            quote["fee"] = bps_fraction(q.fee_bps);
            quote["priceImpact"] = bps_fraction(q.price_impact_bps);
            quotes.push_back(std::move(quote));
          }
          m["quotes"] = std::move(quotes);
          m["expectedOut"] = format_amount(e.expected_out, decimals_of(e.output_token));
          m["minOut"] = format_amount(e.min_out, decimals_of(e.output_token));
        } else if constexpr (std::is_same_v<T, TxSubmitted>) {
          m["attempt"] = e.attempt;
          m["dex"] = venue_name(e.venue);
          m["txHash"] = e.tx_id;
        } else if constexpr (std::is_same_v<T, Confirmed>) {
          m["attempt"] = e.attempt;
          m["dex"] = venue_name(e.venue);
          m["txHash"] = e.tx_id;
          m["amountOut"] = format_amount(e.amount_out, decimals_of(e.output_token));
          m["executedPrice"] = price(e.amount_out, e.output_token, e.amount_in, e.input_token);
        } else if constexpr (std::is_same_v<T, AttemptFailed>) {
          m["attempt"] = e.attempt;
          m["error"] = e.reason;
          m["retryAt"] = e.retry_at.value;
        } else if constexpr (std::is_same_v<T, OrderFailed>) {
          m["attempt"] = e.attempt;
          m["error"] = e.reason;
        } else {
          m["attempt"] = e.attempt;
          m["reason"] = e.reason;
        }
      },
      event);
  if (is_terminal(status)) m["terminal"] = true;
  return m;
}

json::object status_message(const eventlog::Record& record, json::storage_ptr storage) {
  if (auto ev = decode_event(record.type, record.payload)) return status_message(record, *ev, std::move(storage));
  json::object m(std::move(storage));
  m["orderId"] = record.order.str();
  m["seq"] = record.seq.value;
  m["ts"] = record.ts.value;
  m["event"] = "unknown";
  m["error"] = "undecodable event payload";
  return m;
}

std::string status_message_text(const eventlog::Record& record) {
  std::string out;
  out.reserve(256);
  if (append_status_json(out, record, StatusJsonHead::message)) return out;
  return json::serialize(status_message(record));  // undecodable: the message says so
}

json::object order_json(const OrderId& id, const OrderState& s, Seq last_seq) {
  const int in_dec = decimals_of(s.input_token), out_dec = decimals_of(s.output_token);
  json::object o;
  o["orderId"] = id.str();
  o["status"] = status_name(s.status);
  o["orderType"] = order_type_name(s.order_type);
  o["inputToken"] = s.input_token;
  o["outputToken"] = s.output_token;
  o["amountIn"] = format_amount(s.amount_in, in_dec);
  o["slippage"] = bps_fraction(s.slippage_bps);
  o["attempt"] = s.attempt;
  o["seq"] = last_seq.value;
  o["createdAt"] = s.created.value;
  o["updatedAt"] = s.updated.value;
  if (s.venue) o["dex"] = venue_name(*s.venue);
  if (s.expected_out.base != 0) o["expectedOut"] = format_amount(s.expected_out, out_dec);
  if (s.min_out.base != 0) o["minOut"] = format_amount(s.min_out, out_dec);
  if (!s.tx_id.empty()) o["txHash"] = s.tx_id;
  if (s.status == Status::confirmed) {
    o["amountOut"] = format_amount(s.amount_out, out_dec);
    o["executedPrice"] = format_ratio(s.amount_out.base, out_dec, s.amount_in.base, in_dec);
  }
  if (!s.last_error.empty()) o["error"] = s.last_error;
  if (s.retry_at.value != 0 && s.status == Status::pending) o["retryAt"] = s.retry_at.value;
  o["terminal"] = is_terminal(s.status);
  return o;
}

}  // namespace oee::core
