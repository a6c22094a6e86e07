// The direct status-message writer must produce exactly the bytes of the
// Boost.JSON object path, for every event type, awkward strings included.

#include <gtest/gtest.h>

#include <random>

#include <boost/json.hpp>

#include "core/event_codec.h"
#include "core/router.h"
#include "core/status_json.h"
#include "core/status_message.h"
#include "order_lifecycle.h"

namespace oee::core {
namespace {

namespace json = boost::json;

eventlog::Record record_of(const OrderEvent& e, std::uint64_t seq, std::int64_t ts) {
  return eventlog::Record{Seq{seq}, OrderId::random(), TimestampNs{ts}, static_cast<std::uint8_t>(type_of(e)),
                          encode_event(e)};
}

// What oee-logdump's object path prints for a line.
std::string log_line_via_objects(const eventlog::Record& r) {
  const json::object m = status_message(r);
  json::object line;
  line["seq"] = m.at("seq");
  line["ts"] = m.at("ts");
  line["orderId"] = m.at("orderId");
  line["type"] = m.at("event");
  for (const auto& kv : m) line[kv.key()] = kv.value();
  return json::serialize(line);
}

void expect_same(const eventlog::Record& r) {
  std::string fast;
  ASSERT_TRUE(append_status_json(fast, r, StatusJsonHead::message));
  EXPECT_EQ(fast, json::serialize(status_message(r)));
  std::string line;
  ASSERT_TRUE(append_status_json(line, r, StatusJsonHead::log_line));
  EXPECT_EQ(line, log_line_via_objects(r));
  EXPECT_EQ(status_message_text(r), fast);
}

TEST(StatusJson, MatchesTheObjectPathOverRandomLifecycles) {
  std::mt19937_64 rng(11);
  std::uint64_t seq = 0;
  int checked = 0;
  for (int order = 0; order < 300; ++order) {
    OrderState state;
    while (!is_terminal(state.status)) {
      const OrderEvent e = oee::testing::next_event(state, rng);
      const auto r = record_of(e, ++seq, 1'795'000'000'000'000'000 + static_cast<std::int64_t>(rng() % 1'000'000));
      expect_same(r);
      ++checked;
      state = *apply(state, e, r.ts);
    }
  }
  EXPECT_GT(checked, 1000);
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
    expect_same(record_of(Routed{2, std::string(in->symbol), std::string(out->symbol), amount, route->quotes, route->best.venue,
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
