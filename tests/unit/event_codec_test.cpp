#include "core/wire/event_codec.h"

#include <string>

#include <stdexcept>

#include <gtest/gtest.h>

#include "core/wire/key_codec.h"
#include "core/wire/status_message.h"
#include "schemas/order_events_generated.h"
#include "eventlog/event_log.h"

namespace oee::core {
namespace {

// Encodes, checks the type byte and decodes back into the same alternative.
template <class T>
T round_trip(const T& event) {
  const OrderEvent ev = event;
  const std::string payload = encode_event(ev);
  EXPECT_FALSE(payload.empty());
  const auto decoded = decode_event(static_cast<std::uint8_t>(type_of(ev)), payload);
  EXPECT_TRUE(decoded.has_value());
  if (!decoded) return T{};
  EXPECT_TRUE(std::holds_alternative<T>(*decoded));
  if (!std::holds_alternative<T>(*decoded)) return T{};
  return std::get<T>(*decoded);
}

TEST(EventCodec, OrderSubmittedRoundTrip) {
  const OrderSubmitted e{OrderType::limit, token_id("SOL"), token_id("USDC"), Amount{12'345'678'901}, 75, "idem-key-7"};
  const auto d = round_trip(e);
  EXPECT_EQ(d.order_type, OrderType::limit);
  EXPECT_EQ(d.input_token.symbol(), "SOL");
  EXPECT_EQ(d.output_token.symbol(), "USDC");
  EXPECT_EQ(d.amount_in.base, 12'345'678'901u);
  EXPECT_EQ(d.slippage_bps, 75u);
  EXPECT_EQ(d.idempotency_key, "idem-key-7");

  const auto no_key =
      round_trip(OrderSubmitted{OrderType::sniper, token_id("BONK"), token_id("SOL"), Amount{1}, 0, ""});
  EXPECT_EQ(no_key.order_type, OrderType::sniper);
  EXPECT_EQ(no_key.idempotency_key, "");
  EXPECT_EQ(no_key.input_token.symbol(), "BONK");
}

TEST(EventCodec, RoutingStartedRoundTrip) {
  EXPECT_EQ(round_trip(RoutingStarted{3}).attempt, 3u);
  EXPECT_EQ(round_trip(RoutingStarted{0xFFFF'FFFFu}).attempt, 0xFFFF'FFFFu);
}

TEST(EventCodec, RoutedRoundTrip) {
  Routed e;
  e.attempt = 2;
  e.input_token = token_id("SOL");
  e.output_token = token_id("USDC");
  e.amount_in = Amount{10'000'000'000};
  e.quotes = {Quote{Venue::raydium, e.amount_in, Amount{1'490'000'000}, 25, 12, Amount{1'000}, Amount{2'000}},
              Quote{Venue::meteora, e.amount_in, Amount{1'495'000'000}, 20, 9, Amount{3'000}, Amount{4'000}}};
  e.venue = Venue::meteora;
  e.expected_out = Amount{1'495'000'000};
  e.min_out = Amount{1'487'525'000};
  const auto d = round_trip(e);
  EXPECT_EQ(d.attempt, 2u);
  EXPECT_EQ(d.input_token.symbol(), "SOL");
  EXPECT_EQ(d.output_token.symbol(), "USDC");
  EXPECT_EQ(d.amount_in, e.amount_in);
  EXPECT_EQ(d.venue, Venue::meteora);
  EXPECT_EQ(d.expected_out, e.expected_out);
  EXPECT_EQ(d.min_out, e.min_out);
  ASSERT_EQ(d.quotes.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(d.quotes[i].venue, e.quotes[i].venue);
    EXPECT_EQ(d.quotes[i].amount_in, e.quotes[i].amount_in);
    EXPECT_EQ(d.quotes[i].amount_out, e.quotes[i].amount_out);
    EXPECT_EQ(d.quotes[i].fee_bps, e.quotes[i].fee_bps);
    EXPECT_EQ(d.quotes[i].price_impact_bps, e.quotes[i].price_impact_bps);
    EXPECT_EQ(d.quotes[i].reserve_in, e.quotes[i].reserve_in);
    EXPECT_EQ(d.quotes[i].reserve_out, e.quotes[i].reserve_out);
  }
}

TEST(EventCodec, TxSubmittedRoundTrip) {
  const auto d = round_trip(TxSubmitted{4, Venue::meteora, "5Kd3abcXYZ", Amount{987'654'321}});
  EXPECT_EQ(d.attempt, 4u);
  EXPECT_EQ(d.venue, Venue::meteora);
  EXPECT_EQ(d.tx_id, "5Kd3abcXYZ");
  EXPECT_EQ(d.min_out.base, 987'654'321u);
}

TEST(EventCodec, ConfirmedRoundTrip) {
  const auto d = round_trip(Confirmed{1, Venue::raydium, "tx-confirmed", Amount{1'495'123'456}, token_id("SOL"),
                                      token_id("USDC"), Amount{10'000'000'000}});
  EXPECT_EQ(d.attempt, 1u);
  EXPECT_EQ(d.venue, Venue::raydium);
  EXPECT_EQ(d.tx_id, "tx-confirmed");
  EXPECT_EQ(d.amount_out.base, 1'495'123'456u);
  EXPECT_EQ(d.input_token.symbol(), "SOL");
  EXPECT_EQ(d.output_token.symbol(), "USDC");
  EXPECT_EQ(d.amount_in.base, 10'000'000'000u);
}

TEST(EventCodec, AttemptFailedRoundTrip) {
  const auto d = round_trip(AttemptFailed{2, "transaction dropped", TimestampNs{1'700'000'000'123'456'789}});
  EXPECT_EQ(d.attempt, 2u);
  EXPECT_EQ(d.reason, "transaction dropped");
  EXPECT_EQ(d.retry_at.value, 1'700'000'000'123'456'789);
}

TEST(EventCodec, OrderFailedRoundTrip) {
  const auto d = round_trip(OrderFailed{5, "slippage exceeded 5 times"});
  EXPECT_EQ(d.attempt, 5u);
  EXPECT_EQ(d.reason, "slippage exceeded 5 times");
}

TEST(EventCodec, OrderRetriedRoundTrip) {
  const auto d = round_trip(OrderRetried{3, "operator retry"});
  EXPECT_EQ(d.attempt, 3u);
  EXPECT_EQ(d.reason, "operator retry");
}

TEST(EventCodec, DeadLetterDismissedRoundTrip) {
  const auto d = round_trip(DeadLetterDismissed{4, "dismissed by an operator"});
  EXPECT_EQ(d.attempt, 4u);
  EXPECT_EQ(d.reason, "dismissed by an operator");
}

TEST(EventCodec, TheLimitOrderEventsRoundTrip) {
  OrderSubmitted submitted{OrderType::limit, token_id("SOL"), token_id("USDC"), Amount{2'000'000'000}, 0, "k"};
  submitted.min_amount_out = Amount{321'000'000};
  submitted.expires_at = TimestampNs{1'900'000'000'123'000'000};
  const auto s = decode_event(static_cast<std::uint8_t>(EventType::submitted), encode_event(submitted));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(std::get<OrderSubmitted>(*s).min_amount_out.base, 321'000'000u);
  EXPECT_EQ(std::get<OrderSubmitted>(*s).expires_at.value, 1'900'000'000'123'000'000);
  EXPECT_EQ(std::get<OrderSubmitted>(*s).order_type, OrderType::limit);

  const Quote q{Venue::meteora, Amount{2'000'000'000}, Amount{330'000'000}, 20, 7, Amount{5}, Amount{6}};
  const Triggered t{3, token_id("SOL"), token_id("USDC"), Amount{2'000'000'000}, {q}, Venue::meteora,
                    Amount{330'000'000}, Amount{321'000'000}, TimestampNs{42}};
  const auto d = decode_event(static_cast<std::uint8_t>(EventType::triggered), encode_event(t));
  ASSERT_TRUE(d.has_value());
  const auto& back = std::get<Triggered>(*d);
  EXPECT_EQ(back.attempt, 3u);
  EXPECT_EQ(back.input_token, token_id("SOL"));
  EXPECT_EQ(back.amount_in.base, 2'000'000'000u);
  ASSERT_EQ(back.quotes.size(), 1u);
  EXPECT_EQ(back.quotes[0].amount_out.base, 330'000'000u);
  EXPECT_EQ(back.quotes[0].reserve_out.base, 6u);
  EXPECT_EQ(back.threshold.base, 321'000'000u);
  EXPECT_EQ(back.observed_at.value, 42);

  const auto r = decode_event(static_cast<std::uint8_t>(EventType::reopened), encode_event(Reopened{3, "below"}));
  EXPECT_EQ(std::get<Reopened>(*r).reason, "below");
  const auto c = decode_event(static_cast<std::uint8_t>(EventType::cancelled), encode_event(Cancelled{0, "owner"}));
  EXPECT_EQ(std::get<Cancelled>(*c).reason, "owner");
  EXPECT_EQ(std::get<Expired>(*decode_event(static_cast<std::uint8_t>(EventType::expired), encode_event(Expired{4})))
                .attempt,
            4u);
  EXPECT_EQ(std::get<Opened>(*decode_event(static_cast<std::uint8_t>(EventType::opened), encode_event(Opened{2})))
                .attempt,
            2u);

  const Amended amended{2, token_id("SOL"), token_id("USDC"), Amount{2'000'000'000}, Amount{322'000'001},
                        TimestampNs{1'900'000'000'456'000'000}};
  const auto a = decode_event(static_cast<std::uint8_t>(EventType::amended), encode_event(amended));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(std::get<Amended>(*a), amended);
  // A sniper's carries its new token, and decodes as its own type.
  const WatchAmended watch{{0, token_id("SOL"), *TokenId::name("NEWCOIN"), Amount{5}, Amount{6}, TimestampNs{7}}};
  const auto w = decode_event(static_cast<std::uint8_t>(EventType::watch_amended), encode_event(watch));
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE(std::holds_alternative<WatchAmended>(*w));
  EXPECT_EQ(static_cast<const Amended&>(std::get<WatchAmended>(*w)), static_cast<const Amended&>(watch));

  OrderState state;
  state.status = Status::open;
  state.input_token = token_id("SOL");
  state.output_token = token_id("USDC");
  state.min_amount_out = Amount{9};
  state.expires_at = TimestampNs{10};
  state.triggered_at = TimestampNs{11};
  const auto snap = decode_snapshot(encode_snapshot(state));
  ASSERT_TRUE(snap.has_value());
  EXPECT_EQ(snap->status, Status::open);
  EXPECT_EQ(snap->min_amount_out.base, 9u);
  EXPECT_EQ(snap->expires_at.value, 10);
  EXPECT_EQ(snap->triggered_at.value, 11);
}

TEST(EventCodec, RejectsGarbageAndUnknownTypes) {
  const std::string good = encode_event(RoutingStarted{1});
  EXPECT_TRUE(decode_event(static_cast<std::uint8_t>(EventType::routing_started), good).has_value());
  EXPECT_FALSE(decode_event(0, good).has_value());
  EXPECT_FALSE(decode_event(kMaxEventType + 1, good).has_value());
  EXPECT_FALSE(decode_event(255, good).has_value());
  for (EventType t : kOrderEventTypes) {
    const auto type = static_cast<int>(t);
    SCOPED_TRACE(type);
    EXPECT_FALSE(decode_event(static_cast<std::uint8_t>(type), "").has_value());
    EXPECT_FALSE(decode_event(static_cast<std::uint8_t>(type), "xyz").has_value());
    EXPECT_FALSE(decode_event(static_cast<std::uint8_t>(type), std::string(64, '\xff')).has_value());
  }
  // A truncated payload does not verify.
  const std::string confirmed =
      encode_event(Confirmed{1, Venue::raydium, "tx", Amount{1}, token_id("SOL"), token_id("USDC"), Amount{1}});
  EXPECT_FALSE(decode_event(static_cast<std::uint8_t>(EventType::confirmed), confirmed.substr(0, 8)).has_value());
}

TEST(EventCodec, SnapshotRoundTrip) {
  OrderState s;
  s.status = Status::submitted;
  s.order_type = OrderType::limit;
  s.input_token = token_id("BONK");
  s.output_token = token_id("SOL");
  s.amount_in = Amount{100'000'000'000};
  s.slippage_bps = 100;
  s.idempotency_key = "abc";
  s.attempt = 3;
  s.venue = Venue::meteora;
  s.expected_out = Amount{166'000'000};
  s.min_out = Amount{164'340'000};
  s.tx_id = "tx-3";
  s.amount_out = Amount{7};
  s.last_error = "dropped";
  s.retry_at = TimestampNs{11};
  s.created = TimestampNs{22};
  s.updated = TimestampNs{33};
  s.retry_floor = 2;
  s.dismissed = true;
  s.launches_judged = 17;
  s.legs = {LegState{Leg{Venue::raydium, Amount{40}, Amount{70}, Amount{69}}, "tx-3-0", true, true, Amount{71}},
            LegState{Leg{Venue::meteora, Amount{60}, Amount{96}, Amount{95}}, "tx-3-1", false, false, Amount{}}};

  const auto d = decode_snapshot(encode_snapshot(s));
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->status, s.status);
  EXPECT_EQ(d->order_type, s.order_type);
  EXPECT_EQ(d->input_token, s.input_token);
  EXPECT_EQ(d->output_token, s.output_token);
  EXPECT_EQ(d->amount_in, s.amount_in);
  EXPECT_EQ(d->slippage_bps, s.slippage_bps);
  EXPECT_EQ(d->idempotency_key, s.idempotency_key);
  EXPECT_EQ(d->attempt, s.attempt);
  EXPECT_EQ(d->venue, s.venue);
  EXPECT_EQ(d->expected_out, s.expected_out);
  EXPECT_EQ(d->min_out, s.min_out);
  EXPECT_EQ(d->tx_id, s.tx_id);
  EXPECT_EQ(d->amount_out, s.amount_out);
  EXPECT_EQ(d->last_error, s.last_error);
  EXPECT_EQ(d->retry_at, s.retry_at);
  EXPECT_EQ(d->created, s.created);
  EXPECT_EQ(d->updated, s.updated);
  EXPECT_EQ(d->retry_floor, s.retry_floor);
  EXPECT_EQ(d->dismissed, s.dismissed);
  EXPECT_EQ(d->launches_judged, 17u);
  EXPECT_EQ(d->legs, s.legs);

  // No venue yet stays "no venue" (not raydium).
  OrderState fresh;
  fresh.status = Status::pending;
  const auto f = decode_snapshot(encode_snapshot(fresh));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->status, Status::pending);
  EXPECT_FALSE(f->venue.has_value());
  EXPECT_FALSE(f->dismissed);
  EXPECT_TRUE(f->legs.empty());

  EXPECT_FALSE(decode_snapshot("").has_value());
  EXPECT_FALSE(decode_snapshot("not a flatbuffer").has_value());
}

TEST(StatusMessage, ConfirmedGoldenJson) {
  const auto id = OrderId::parse("123e4567-e89b-42d3-a456-426614174000");
  ASSERT_TRUE(id.has_value());
  eventlog::Record rec;
  rec.seq = Seq{42};
  rec.order = *id;
  rec.ts = TimestampNs{1'700'000'000'000'000'000};
  rec.type = static_cast<std::uint8_t>(EventType::confirmed);
  rec.payload = encode_event(Confirmed{1, Venue::meteora, "5abc", Amount{1'495'123'456}, token_id("SOL"),
                                       token_id("USDC"), Amount{10'000'000'000}});
  // amountOut: 1'495'123'456 at 6 decimals = "1495.123456".
  // executedPrice: 1495.123456 USDC / 10 SOL = 149.5123456 (exact, terminates).
  EXPECT_EQ(status_message_text(rec),
            R"({"orderId":"123e4567-e89b-42d3-a456-426614174000","seq":42,"ts":1700000000000000000,)"
            R"("event":"confirmed","status":"confirmed","attempt":1,"dex":"meteora","txHash":"5abc",)"
            R"("amountOut":"1495.123456","executedPrice":"149.5123456",)"
            R"("legs":[{"venue":"meteora","amountIn":"10","amountOut":"1495.123456","txHash":"5abc","status":"confirmed"}],)"
            R"("terminal":true})");
}

TEST(StatusMessage, UndecodablePayloadReportsAnError) {
  eventlog::Record rec;
  rec.seq = Seq{7};
  rec.order = *OrderId::parse("00000000-0000-0000-0000-000000000001");
  rec.ts = TimestampNs{5};
  rec.type = static_cast<std::uint8_t>(EventType::confirmed);
  rec.payload = "garbage";
  EXPECT_EQ(status_message_text(rec),
            R"({"orderId":"00000000-0000-0000-0000-000000000001","seq":7,"ts":5,)"
            R"("event":"unknown","error":"undecodable event payload"})");
}

TEST(OrderIdText, ParseAndStrRoundTrip) {
  const std::string text = "123e4567-e89b-42d3-a456-426614174000";
  const auto id = OrderId::parse(text);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(id->str(), text);
  EXPECT_EQ(id->bytes()[0], 0x12);
  EXPECT_EQ(id->bytes()[15], 0x00);
  // Upper case parses to the same id and prints lower case.
  const auto upper = OrderId::parse("123E4567-E89B-42D3-A456-426614174000");
  ASSERT_TRUE(upper.has_value());
  EXPECT_EQ(*upper, *id);

  for (int i = 0; i < 20; ++i) {
    const OrderId r = OrderId::random();
    const auto back = OrderId::parse(r.str());
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, r);
    EXPECT_EQ(r.str()[14], '4');  // version 4
  }
  EXPECT_NE(OrderId::random(), OrderId::random());
}

TEST(OrderIdText, RejectsBadUuids) {
  const char* bad[] = {
      "",
      "123e4567e89b42d3a456426614174000",       // no dashes
      "123e4567-e89b-42d3-a456-42661417400",    // too short
      "123e4567-e89b-42d3-a456-4266141740000",  // too long
      "123e4567-e89b-42d3-a456_426614174000",   // wrong separator
      "123e4567-e89b-42d3-a456-42661417400g",   // not hex
      "123e456-7e89b-42d3-a456-426614174000",   // dash in the wrong place
      "{23e4567-e89b-42d3-a456-426614174000",
  };
  for (const char* text : bad) EXPECT_FALSE(OrderId::parse(text).has_value()) << "'" << text << "'";
}

// Orders carry tokens, not strings: a stored symbol that is not listed is
// a new token (a sniper's target), one identity in any case; a stored
// string that could not be a symbol does not decode.
TEST(EventCodec, AnUnlistedSymbolIsANewTokenAndAMalformedOneDoesNotDecode) {
  std::string payload =
      encode_event(OrderSubmitted{OrderType::market, token_id("SOL"), token_id("USDC"), Amount{1}, 50, ""});
  ASSERT_TRUE(decode_event(static_cast<std::uint8_t>(EventType::submitted), payload));
  const auto at = payload.find("SOL");
  ASSERT_NE(at, std::string::npos);
  std::string unlisted = payload;
  unlisted.replace(at, 3, "XQZ");
  EXPECT_FALSE(TokenId::parse("XQZ")) << "not named before it decodes";
  const auto decoded = decode_event(static_cast<std::uint8_t>(EventType::submitted), unlisted);
  ASSERT_TRUE(decoded);
  const TokenId named = std::get<OrderSubmitted>(*decoded).input_token;
  EXPECT_EQ(named.symbol(), "XQZ");
  EXPECT_FALSE(named.listed());
  EXPECT_EQ(named.decimals(), kNewTokenDecimals);
  EXPECT_EQ(TokenId::parse("xqz"), named);
  EXPECT_EQ(TokenId::name("Xqz"), named);
  std::string malformed = payload;
  malformed.replace(at, 3, "X-L");
  EXPECT_FALSE(decode_event(static_cast<std::uint8_t>(EventType::submitted), malformed));

  EXPECT_EQ(TokenId::parse("sol"), token_id("SOL"));
  EXPECT_TRUE(token_id("SOL").listed());
  EXPECT_NE(token_id("SOL"), token_id("USDC"));
  EXPECT_FALSE(TokenId{});
  EXPECT_EQ(TokenId{}.symbol(), "");
  EXPECT_THROW((void)token_id("XQZ"), std::invalid_argument) << "named, not listed";
  EXPECT_THROW((void)token_id("NEVERSEEN"), std::invalid_argument);
}

TEST(EventCodec, AnOwnerIsSixteenBytesAndTheTextOfEarlierLogsStillReads) {
  const OrderId owner = OrderId::random();
  OrderState s;
  s.input_token = token_id("SOL");
  s.output_token = token_id("USDC");
  s.owner = owner;
  const std::string now = encode_snapshot(s);
  EXPECT_EQ(now.find(owner.str()), std::string::npos) << "not as text";
  EXPECT_EQ(decode_snapshot(now)->owner, owner);
  s.owner.reset();
  EXPECT_FALSE(decode_snapshot(encode_snapshot(s))->owner.has_value());

  // A snapshot as the first logs with owners wrote it: the owner as text.
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(fb::CreateOrderSnapshotDirect(fbb, 0, fb::OrderType::Market, "SOL", "USDC", 1, 0, 0, false,
                                           fb::Venue::Raydium, 0, 0, "", 0, "", 0, 0, 0, "", 0, false,
                                           owner.str().c_str()));
  const std::string before(reinterpret_cast<const char*>(fbb.GetBufferPointer()), fbb.GetSize());
  EXPECT_EQ(decode_snapshot(before)->owner, owner);

  flatbuffers::FlatBufferBuilder event;
  event.Finish(fb::CreateOrderSubmittedDirect(event, fb::OrderType::Market, "SOL", "USDC", 1, 100, nullptr, nullptr,
                                              0, nullptr, owner.str().c_str()));
  const auto submitted = decode_event(static_cast<std::uint8_t>(EventType::submitted),
                                      std::string_view(reinterpret_cast<const char*>(event.GetBufferPointer()),
                                                       event.GetSize()));
  ASSERT_TRUE(submitted);
  EXPECT_EQ(std::get<OrderSubmitted>(*submitted).owner, owner);
}

// What a cluster sends every node, not only those that watch the order:
// an API key's records and each of a recurring order's, no other order's.
TEST(EventCodec, EveryNodeHearsKeysAndRecurringOrdersAndNoOtherOrder) {
  const auto type = [](const OrderEvent& e) { return static_cast<std::uint8_t>(type_of(e)); };
  const OrderEvent recurring = OrderSubmitted{OrderType::recurring, token_id("SOL"), token_id("USDC"), Amount{10}, 50, ""};
  const OrderEvent market = OrderSubmitted{OrderType::market, token_id("SOL"), token_id("USDC"), Amount{10}, 50, ""};
  EXPECT_TRUE(heard_everywhere(type(recurring), encode_event(recurring), {}));
  EXPECT_FALSE(heard_everywhere(type(market), encode_event(market), {}));

  OrderState parent;
  parent.order_type = OrderType::recurring;
  parent.input_token = token_id("SOL");
  parent.output_token = token_id("USDC");
  OrderState plain = parent;
  plain.order_type = OrderType::market;
  const OrderEvent step = RoutingStarted{1};
  EXPECT_TRUE(heard_everywhere(type(step), encode_event(step), encode_snapshot(parent)));
  EXPECT_FALSE(heard_everywhere(type(step), encode_event(step), encode_snapshot(plain)));
  EXPECT_FALSE(heard_everywhere(type(step), encode_event(step), "not a snapshot"));

  const KeyEvent revoked = ApiKeyRevoked{};
  EXPECT_TRUE(heard_everywhere(static_cast<std::uint8_t>(type_of(revoked)), encode_key_event(revoked), {}));
}

}  // namespace
}  // namespace oee::core
