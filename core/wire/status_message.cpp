#include "core/wire/status_message.h"

#include "core/domain/recurring.h"
#include "core/domain/sim_clock.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/domain/tokens.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_json.h"

namespace oee::core {

namespace json = boost::json;

std::string bps_fraction(std::uint32_t bps) { return format_amount(Amount{bps}, 4); }

json::object status_message(const eventlog::Record& record, const OrderEvent& event, json::storage_ptr storage) {
  // Parsed from the direct writer's text, so the object and the text cannot
  // drift apart: one renderer for every path.
  std::string text;
  text.reserve(256);
  append_status_json(text, record, event, StatusJsonHead::message, message_count(event) - 1);
  return std::move(json::parse(text, std::move(storage)).as_object());
}

json::object status_message(const eventlog::Record& record, json::storage_ptr storage) {
  if (auto ev = decode_event(record.type, record.payload)) return status_message(record, *ev, std::move(storage));
  json::object m(std::move(storage));
  m["orderId"] = record.order.str();
  m["seq"] = record.seq.value;
  if (record.partition) m["partition"] = record.partition->value;
  m["ts"] = record.ts.value;
  m["event"] = "unknown";
  m["error"] = "undecodable event payload";
  return m;
}

std::string status_message_text(const eventlog::Record& record) {
  auto event = decode_event(record.type, record.payload);
  if (!event) return json::serialize(status_message(record));  // undecodable: the message says so
  std::string out;
  out.reserve(256);
  append_status_json(out, record, *event, StatusJsonHead::message, message_count(*event) - 1);
  return out;
}

std::vector<std::string> status_message_texts(const eventlog::Record& record) {
  std::vector<std::string> texts;
  auto event = decode_event(record.type, record.payload);
  if (!event) {
    texts.push_back(json::serialize(status_message(record)));  // undecodable: the message says so
    return texts;
  }
  const std::size_t n = message_count(*event);
  texts.resize(n);
  for (std::size_t step = 0; step < n; ++step) {
    texts[step].reserve(256);
    append_status_json(texts[step], record, *event, StatusJsonHead::message, step);
  }
  return texts;
}

namespace {

// Where one leg stands: filled and failed are final; sent is submitted.
std::string_view leg_status(bool landed, bool settled, bool sent) {
  if (landed) return "confirmed";
  if (settled) return "failed";
  return sent ? "submitted" : "pending";
}

json::object leg_json(Venue venue, Amount in, Amount expected, Amount min_out, Amount out, const std::string& tx,
                      std::string_view status, int in_dec, int out_dec) {
  json::object leg{{"venue", venue_name(venue)},
                   {"amountIn", format_amount(in, in_dec)},
                   {"expectedOut", format_amount(expected, out_dec)},
                   {"minOut", format_amount(min_out, out_dec)},
                   {"amountOut", format_amount(out, out_dec)},
                   {"status", status}};
  if (!tx.empty()) leg["txHash"] = tx;
  return leg;
}

}  // namespace

json::array legs_json(const OrderState& s) {
  const int in_dec = s.input_token.decimals(), out_dec = s.output_token.decimals();
  json::array legs;
  for (const auto& l : s.legs) {
    legs.push_back(leg_json(l.leg.venue, l.leg.amount_in, l.leg.expected_out, l.leg.min_out, l.amount_out, l.tx_id,
                            leg_status(l.landed, l.settled, !l.tx_id.empty()), in_dec, out_dec));
  }
  if (!s.legs.empty() || !s.venue) return legs;
  // One venue: the order is its one leg.
  std::string_view status = "pending";
  switch (s.status) {
    case Status::confirmed: status = "confirmed"; break;
    case Status::failed: status = "failed"; break;
    case Status::submitted: status = "submitted"; break;
    default: break;
  }
  legs.push_back(leg_json(*s.venue, s.amount_in, s.expected_out, s.min_out,
                          s.status == Status::confirmed ? s.amount_out : Amount{}, s.tx_id, status, in_dec, out_dec));
  return legs;
}

namespace {

void add_recurring(json::object& o, const OrderState& s, const std::vector<const OrderState*>& children) {
  const int in_dec = s.input_token.decimals(), out_dec = s.output_token.decimals();
  const RecurringTerms& t = s.recurring;
  json::object terms{{"slices", t.slices}, {"interval", t.interval_s}, {"catchUp", t.catch_up}};
  terms["minPrice"] = t.min_price_e12 != 0 ? json::value(format_amount(Amount{t.min_price_e12}, kPriceDecimals))
                                           : json::value(nullptr);
  terms["maxPrice"] = t.max_price_e12 != 0 ? json::value(format_amount(Amount{t.max_price_e12}, kPriceDecimals))
                                           : json::value(nullptr);
  o["recurring"] = std::move(terms);
  json::array ids;
  for (const SliceState& slice : s.slices) {
    if (slice.child) ids.emplace_back(slice.child->str());
  }
  o["children"] = std::move(ids);
  const RecurringProgress p = recurring_progress(s, children);
  json::object progress{{"done", p.done},
                        {"skipped", p.skipped},
                        {"left", p.left},
                        {"running", p.running},
                        {"spent", format_amount(p.spent, in_dec)},
                        {"received", format_amount(p.received, out_dec)}};
  progress["averagePrice"] = p.spent.base != 0
                                 ? json::value(format_ratio(p.received.base, out_dec, p.spent.base, in_dec))
                                 : json::value(nullptr);
  o["progress"] = std::move(progress);
  if (s.status == Status::active && s.slices.size() < t.slices) {
    o["nextSliceAt"] = next_slice_due(s, sim_now()).value / 1'000'000;
  }
}

}  // namespace

json::object order_json(const OrderId& id, const OrderState& state, Seq last_seq, const ChildState& child_state) {
  std::vector<std::optional<OrderState>> states;
  std::vector<const OrderState*> children;
  states.reserve(state.slices.size());  // the pointers stay put
  for (const auto& slice : state.slices) {
    if (!slice.child) continue;
    states.push_back(child_state(*slice.child));
    children.push_back(states.back() ? &*states.back() : nullptr);
  }
  return order_json(id, state, last_seq, children);
}

ChildState children_as_of(const eventlog::EventLogReader& log, Seq as_of) {
  return [&log, as_of](const OrderId& child) -> std::optional<OrderState> {
    auto then = fold_order_until(log, child, as_of);
    if (!then || !*then) return std::nullopt;
    return std::move((*then)->state);
  };
}

json::object order_json(const OrderId& id, const OrderState& s, Seq last_seq,
                        const std::vector<const OrderState*>& children) {
  const int in_dec = s.input_token.decimals(), out_dec = s.output_token.decimals();
  json::object o;
  o["orderId"] = id.str();
  o["status"] = status_name(s.status);
  o["orderType"] = order_type_name(s.order_type);
  o["inputToken"] = s.input_token.symbol();
  o["outputToken"] = s.output_token.symbol();
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
  if (s.status == Status::confirmed || s.status == Status::partially_filled) {
    o["amountOut"] = format_amount(s.amount_out, out_dec);
    o["executedPrice"] = format_ratio(s.amount_out.base, out_dec, filled_in(s).base, in_dec);
  }
  if (!s.last_error.empty()) o["error"] = s.last_error;
  if (s.dismissed) o["dismissed"] = true;
  if (s.retry_at.value != 0 && s.status == Status::pending) o["retryAt"] = s.retry_at.value;
  if (s.min_amount_out.base != 0) o["minAmountOut"] = format_amount(s.min_amount_out, out_dec);
  // Times a client sets and reads are epoch milliseconds.
  if (s.expires_at.value != 0) o["expiresAt"] = s.expires_at.value / 1'000'000;
  if (s.triggered_at.value != 0) o["triggeredAt"] = s.triggered_at.value / 1'000'000;
  if (s.order_type == OrderType::sniper) {
    o["targetToken"] = s.output_token.symbol();
    o["checks"] = json::object{{"requireMintRenounced", s.checks.require_mint_renounced},
                               {"requireNoFreeze", s.checks.require_no_freeze},
                               {"minLiquidity", format_amount(s.checks.min_liquidity, in_dec)}};
  }
  o["legs"] = legs_json(s);
  if (s.order_type == OrderType::recurring) add_recurring(o, s, children);
  if (s.parent) {
    o["parentId"] = s.parent->str();
    o["slice"] = s.slice;
  }
  if (s.status == Status::cancelled) o["cancelledAt"] = s.updated.value / 1'000'000;
  if (s.status == Status::expired) o["expiredAt"] = s.updated.value / 1'000'000;
  o["terminal"] = is_terminal(s.status);
  return o;
}

}  // namespace oee::core
