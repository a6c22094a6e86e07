// The status-message writer, the one renderer of what clients see, must
// produce exactly the bytes of the message built as a Boost.JSON object
// field by field (the reference below, the format it replaced), for every
// event type, awkward strings included.

#include <gtest/gtest.h>

#include <random>

#include <boost/json.hpp>

#include "core/wire/event_codec.h"
#include "core/domain/router.h"
#include "core/wire/status_json.h"
#include "core/wire/status_message.h"
#include "core/domain/tokens.h"
#include "order_lifecycle.h"

namespace oee::core {
namespace {

namespace json = boost::json;

eventlog::Record record_of(const OrderEvent& e, std::uint64_t seq, std::int64_t ts) {
  return eventlog::Record{Seq{seq}, OrderId::random(), TimestampNs{ts}, static_cast<std::uint8_t>(type_of(e)),
                          encode_event(e)};
}

int decimals_of(std::string_view symbol) {
  const Token* t = find_token(symbol);
  return t == nullptr ? 0 : t->decimals;
}

std::string price(Amount out, std::string_view out_token, Amount in, std::string_view in_token) {
  return format_ratio(out.base, decimals_of(out_token), in.base, decimals_of(in_token));
}

// A routed or triggered event's quotes, key by key.
template <class Event>
json::array reference_quotes(const Event& e) {
  json::array quotes;
  for (const auto& q : e.quotes) {
    json::object quote;
    quote["dex"] = venue_name(q.venue);
    quote["amountOut"] = format_amount(q.amount_out, decimals_of(e.output_token.symbol()));
    quote["price"] = price(q.amount_out, e.output_token.symbol(), e.amount_in, e.input_token.symbol());
    quote["fee"] = bps_fraction(q.fee_bps);
    quote["priceImpact"] = bps_fraction(q.price_impact_bps);
    quotes.push_back(std::move(quote));
  }
  return quotes;
}

// An outcome's legs, key by key.
json::array reference_fills(const std::vector<LegFill>& fills, std::string_view in, std::string_view out) {
  json::array legs;
  for (const auto& f : fills) {
    legs.push_back(json::object{{"venue", venue_name(f.venue)},
                                {"amountIn", format_amount(f.amount_in, decimals_of(in))},
                                {"amountOut", format_amount(f.amount_out, decimals_of(out))},
                                {"txHash", f.tx_id},
                                {"status", f.amount_out.base != 0 ? "confirmed" : "failed"}});
  }
  return legs;
}

// The stream's message built key by key as a Boost.JSON object.
json::object reference_message(const eventlog::Record& record) {
  const OrderEvent event = *decode_event(record.type, record.payload);
  const EventType type = type_of(event);
  const Status status = status_after(type);
  json::object m;
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
          m["inputToken"] = e.input_token.symbol();
          m["outputToken"] = e.output_token.symbol();
          m["amountIn"] = format_amount(e.amount_in, decimals_of(e.input_token.symbol()));
          m["slippage"] = bps_fraction(e.slippage_bps);
          if (e.min_amount_out.base != 0) {
            m["minAmountOut"] = format_amount(e.min_amount_out, decimals_of(e.output_token.symbol()));
          }
          if (e.expires_at.value != 0) m["expiresAt"] = e.expires_at.value / 1'000'000;
          if (e.order_type == OrderType::sniper) {
            m["checks"] = json::object{
                {"requireMintRenounced", e.checks.require_mint_renounced},
                {"requireNoFreeze", e.checks.require_no_freeze},
                {"minLiquidity", format_amount(e.checks.min_liquidity, decimals_of(e.input_token.symbol()))}};
          }
          if (e.order_type == OrderType::recurring) {
            m["slices"] = e.recurring.slices;
            m["interval"] = e.recurring.interval_s;
            if (e.recurring.min_price_e12 != 0) m["minPrice"] = format_amount(Amount{e.recurring.min_price_e12}, kPriceDecimals);
            if (e.recurring.max_price_e12 != 0) m["maxPrice"] = format_amount(Amount{e.recurring.max_price_e12}, kPriceDecimals);
            m["catchUp"] = e.recurring.catch_up;
          }
          if (e.parent) {
            m["parentId"] = e.parent->str();
            m["slice"] = e.slice;
          }
        } else if constexpr (std::is_same_v<T, RoutingStarted> || std::is_same_v<T, Opened> ||
                             std::is_same_v<T, Expired> || std::is_same_v<T, WatchStarted>) {
          m["attempt"] = e.attempt;
        } else if constexpr (std::is_base_of_v<Amended, T>) {
          m["attempt"] = e.attempt;
          m["minAmountOut"] = format_amount(e.min_amount_out, e.output_token.decimals());
          if (e.expires_at.value != 0) m["expiresAt"] = e.expires_at.value / 1'000'000;
        } else if constexpr (std::is_same_v<T, LaunchRejected>) {
          m["attempt"] = e.attempt;
          m["dex"] = venue_name(e.venue);
          m["launch"] = e.launch;
          m["reason"] = e.reason;
        } else if constexpr (std::is_same_v<T, Routed>) {
          m["attempt"] = e.attempt;
          m["dex"] = venue_name(e.venue);
          m["quotes"] = reference_quotes(e);
          m["expectedOut"] = format_amount(e.expected_out, decimals_of(e.output_token.symbol()));
          m["minOut"] = format_amount(e.min_out, decimals_of(e.output_token.symbol()));
          if (!e.legs.empty()) {
            json::array legs;
            for (const auto& l : e.legs) {
              legs.push_back(json::object{{"venue", venue_name(l.venue)},
                                          {"amountIn", format_amount(l.amount_in, decimals_of(e.input_token.symbol()))},
                                          {"expectedOut", format_amount(l.expected_out, decimals_of(e.output_token.symbol()))},
                                          {"minOut", format_amount(l.min_out, decimals_of(e.output_token.symbol()))}});
            }
            m["legs"] = std::move(legs);
          }
        } else if constexpr (std::is_same_v<T, LegSettled>) {
          m["attempt"] = e.attempt;
          m["leg"] = e.leg;
          m["dex"] = venue_name(e.fill.venue);
          m["txHash"] = e.fill.tx_id;
          m["amountIn"] = format_amount(e.fill.amount_in, decimals_of(e.input_token.symbol()));
          if (e.landed) {
            m["amountOut"] = format_amount(e.fill.amount_out, decimals_of(e.output_token.symbol()));
          } else {
            m["error"] = e.reason;
          }
        } else if constexpr (std::is_same_v<T, PartiallyFilled>) {
          m["attempt"] = e.attempt;
          m["error"] = e.reason;
          m["amountOut"] = format_amount(e.amount_out, decimals_of(e.output_token.symbol()));
          m["legs"] = reference_fills(e.legs, e.input_token.symbol(), e.output_token.symbol());
        } else if constexpr (std::is_same_v<T, Triggered>) {
          m["attempt"] = e.attempt;
          m["dex"] = venue_name(e.venue);
          m["quotes"] = reference_quotes(e);
          m["expectedOut"] = format_amount(e.expected_out, decimals_of(e.output_token.symbol()));
          m["minAmountOut"] = format_amount(e.threshold, decimals_of(e.output_token.symbol()));
          m["observedAt"] = e.observed_at.value;
        } else if constexpr (std::is_same_v<T, TxSubmitted>) {
          m["attempt"] = e.attempt;
          m["dex"] = venue_name(e.venue);
          m["txHash"] = e.tx_id;
          if (!e.leg_tx_ids.empty()) {
            json::array ids;
            for (const auto& id : e.leg_tx_ids) ids.emplace_back(id);
            m["legTxHashes"] = std::move(ids);
          }
        } else if constexpr (std::is_same_v<T, Confirmed>) {
          m["attempt"] = e.attempt;
          m["dex"] = venue_name(e.venue);
          m["txHash"] = e.tx_id;
          m["amountOut"] = format_amount(e.amount_out, decimals_of(e.output_token.symbol()));
          m["executedPrice"] = price(e.amount_out, e.output_token.symbol(), e.amount_in, e.input_token.symbol());
          m["legs"] = reference_fills(
              e.legs.empty() ? std::vector<LegFill>{{e.venue, e.amount_in, e.amount_out, e.tx_id}} : e.legs,
              e.input_token.symbol(), e.output_token.symbol());
        } else if constexpr (std::is_same_v<T, AttemptFailed>) {
          m["attempt"] = e.attempt;
          m["error"] = e.reason;
          m["retryAt"] = e.retry_at.value;
        } else if constexpr (std::is_same_v<T, OrderFailed>) {
          m["attempt"] = e.attempt;
          m["error"] = e.reason;
        } else if constexpr (std::is_same_v<T, RecurringStarted>) {
          m["attempt"] = 0;
          m["firstDue"] = e.first_due.value / 1'000'000;
        } else if constexpr (std::is_same_v<T, SliceStarted>) {
          m["attempt"] = 0;
          m["slice"] = e.slice;
          m["childId"] = e.child.str();
          m["amountIn"] = format_amount(e.amount_in, decimals_of(e.input_token.symbol()));
          m["dueAt"] = e.due_at.value / 1'000'000;
        } else if constexpr (std::is_same_v<T, SliceSkipped>) {
          m["attempt"] = 0;
          m["slice"] = e.slice;
          m["amountIn"] = format_amount(e.amount_in, decimals_of(e.input_token.symbol()));
          m["dueAt"] = e.due_at.value / 1'000'000;
          m["dex"] = venue_name(e.venue);
          m["expectedOut"] = format_amount(e.expected_out, decimals_of(e.output_token.symbol()));
          m["price"] = price(e.expected_out, e.output_token.symbol(), e.amount_in, e.input_token.symbol());
          m["reason"] = e.reason;
        } else if constexpr (std::is_same_v<T, RecurringCompleted>) {
          m["attempt"] = 0;
          m["done"] = e.done;
          m["skipped"] = e.skipped;
          m["spent"] = format_amount(e.spent, decimals_of(e.input_token.symbol()));
          m["received"] = format_amount(e.received, decimals_of(e.output_token.symbol()));
        } else if constexpr (std::is_same_v<T, RoutedAndSent>) {
          ADD_FAILURE() << "a routedAndSent is the messages of its steps (steps_of)";
        } else {
          m["attempt"] = e.attempt;
          m["reason"] = e.reason;
        }
      },
      event);
  if (is_terminal(status)) m["terminal"] = true;
  return m;
}

// The records a routedAndSent stands for, each with its seq, time and order:
// what a log written before it holds. Any other record stands for itself.
std::vector<eventlog::Record> steps_of(const eventlog::Record& r) {
  const OrderEvent event = *decode_event(r.type, r.payload);
  const auto* both = std::get_if<RoutedAndSent>(&event);
  if (both == nullptr) return {r};
  std::vector<OrderEvent> steps;
  if (both->starts_attempt) steps.emplace_back(RoutingStarted{both->routed.attempt});
  steps.emplace_back(both->routed);
  steps.emplace_back(both->sent);
  std::vector<eventlog::Record> records;
  for (const auto& e : steps) {
    auto step = record_of(e, r.seq.value, r.ts.value);
    step.order = r.order;
    records.push_back(std::move(step));
  }
  return records;
}

// What oee-logdump prints for a line, from the reference object: `type` is
// the record's, `event` the message's.
std::string log_line_via_objects(const eventlog::Record& step, std::string_view record_type) {
  const json::object m = reference_message(step);
  json::object line;
  line["seq"] = m.at("seq");
  line["ts"] = m.at("ts");
  line["orderId"] = m.at("orderId");
  line["type"] = record_type;
  for (const auto& kv : m) line[kv.key()] = kv.value();
  return json::serialize(line);
}

// The message without the head (erase() would reorder the keys).
json::object fields_of(const json::object& message) {
  json::object fields;
  for (const auto& kv : message) {
    const std::string_view k = kv.key();
    if (k != "orderId" && k != "seq" && k != "ts" && k != "event" && k != "status") fields[k] = kv.value();
  }
  return fields;
}

void expect_same(const eventlog::Record& r) {
  const auto steps = steps_of(r);
  const std::string_view record_type = event_name(static_cast<EventType>(r.type));
  std::string messages, lines;
  std::vector<std::string> texts;
  for (const auto& step : steps) {
    texts.push_back(json::serialize(reference_message(step)));
    if (!messages.empty()) messages.push_back(',');
    messages += texts.back();
    if (!lines.empty()) lines.push_back('\n');
    lines += log_line_via_objects(step, record_type);
  }
  std::string fast;
  ASSERT_TRUE(append_status_json(fast, r, StatusJsonHead::message));
  EXPECT_EQ(fast, messages);
  std::string line;
  ASSERT_TRUE(append_status_json(line, r, StatusJsonHead::log_line, '\n'));
  EXPECT_EQ(line, lines);
  EXPECT_EQ(status_message_texts(r), texts);
  // The one-message APIs give the last: the status the record leaves.
  EXPECT_EQ(status_message_text(r), texts.back());
  EXPECT_EQ(status_message(r), reference_message(steps.back()));
  // The projection's payload: the record's fields, one row per record (a
  // routedAndSent's: its route's, then its transactions).
  json::object fields = fields_of(reference_message(steps.size() == 1 ? steps[0] : steps[steps.size() - 2]));
  if (steps.size() > 1) {
    const json::object sent = fields_of(reference_message(steps.back()));
    for (const auto& kv : sent) {
      if (kv.key() == "txHash" || kv.key() == "legTxHashes") fields[kv.key()] = kv.value();
    }
  }
  std::string payload;
  ASSERT_TRUE(append_status_json(payload, r, StatusJsonHead::fields));
  EXPECT_EQ(payload, json::serialize(fields));
}

TEST(StatusJson, MatchesTheObjectPathOverRandomLifecycles) {
  std::mt19937_64 rng(11);
  std::uint64_t seq = 0;
  int checked = 0;
  int routed_and_sent = 0;
  for (int order = 0; order < 300; ++order) {
    OrderState state;
    while (!is_terminal(state.status)) {
      const OrderEvent e = oee::testing::next_event(state, rng);
      const auto r = record_of(e, ++seq, 1'795'000'000'000'000'000 + static_cast<std::int64_t>(rng() % 1'000'000));
      expect_same(r);
      ++checked;
      if (std::holds_alternative<RoutedAndSent>(e)) ++routed_and_sent;
      state = *apply(state, e, r.ts);
    }
  }
  EXPECT_GT(checked, 1000);
  EXPECT_GT(routed_and_sent, 100);
}

TEST(StatusJson, EscapesLikeBoostJson) {
  std::string awkward = "quote\" backslash\\ slash/ tab\t nl\n cr\r bs\b ff\f nul";
  awkward.push_back('\0');
  awkward += " esc\x1b del\x7f utf8 \xc3\xa9 \xe2\x82\xac end";
  expect_same(record_of(OrderFailed{3, awkward}, 9, 1));
  expect_same(record_of(AttemptFailed{1, awkward, TimestampNs{-5}}, 10, -2));  // signed numbers too
  expect_same(record_of(OrderRetried{4, awkward}, 11, 0));
  expect_same(record_of(TxSubmitted{1, Venue::raydium, awkward, Amount{1}}, 12, 3));
}

TEST(StatusJson, RoutedWithBothVenuesQuotes) {
  Market market;
  Router router(market);
  for (const char* pair : {"SOL/USDC", "BONK/SOL", "USDC/USDT"}) {
    const std::string p(pair);
    const Token* in = find_token(p.substr(0, p.find('/')));
    const Token* out = find_token(p.substr(p.find('/') + 1));
    const Amount amount{123'456'789};
    auto route = router.route(*in, *out, amount, std::chrono::system_clock::now());
    ASSERT_TRUE(route) << pair;
    ASSERT_EQ(route->quotes.size(), 2u);
    expect_same(record_of(Routed{2, TokenId(*in), TokenId(*out), amount, route->quotes, route->best.venue,
                                 route->best.amount_out, Amount{route->best.amount_out.base - 7}},
                          77, 5));
  }
}

TEST(StatusJson, UndecodablePayloadIsLeftToTheSlowPath) {
  eventlog::Record r{Seq{1}, OrderId::random(), TimestampNs{1}, 3, "not a flatbuffer"};
  std::string out = "keep";
  EXPECT_FALSE(append_status_json(out, r, StatusJsonHead::message));
  EXPECT_EQ(out, "keep");
  EXPECT_NE(status_message_text(r).find("undecodable"), std::string::npos);
}

}  // namespace
}  // namespace oee::core
