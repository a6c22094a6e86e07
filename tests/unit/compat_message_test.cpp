// The two dialects of the live stream come from one renderer: the compat
// message is the oee.v1 message with its decimals as numbers of the same
// digits and the reference clients' snake_case names beside. Golden
// messages pin both for each kind of event; a property check covers every
// event of random lifecycles.

#include <gtest/gtest.h>

#include <random>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "core/wire/compat_message.h"
#include "core/wire/event_codec.h"
#include "core/wire/status_message.h"
#include "order_lifecycle.h"

namespace oee::core {
namespace {

namespace json = boost::json;

const OrderId kOrder = *OrderId::parse("0a440b5a-9227-4b82-8c29-b79466d293fe");

eventlog::Record record_of(const OrderEvent& e, std::uint64_t seq) {
  return eventlog::Record{Seq{seq}, kOrder, TimestampNs{1'795'000'000'000'000'000}, static_cast<std::uint8_t>(type_of(e)),
                          encode_event(e)};
}

struct Golden {
  const char* name;
  OrderEvent event;
  const char* v1;
  const char* compat;
};

TEST(CompatMessage, GoldenMessagesOfBothDialects) {
  const Golden cases[] = {
      {"submitted",
       OrderSubmitted{OrderType::market, token_id("SOL"), token_id("USDC"), Amount{10'000'000'000}, 100, ""},
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":1,"ts":1795000000000000000,"event":"submitted","status":"pending","attempt":0,"orderType":"market","inputToken":"SOL","outputToken":"USDC","amountIn":"10","slippage":"0.01"})",
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":1,"ts":1795000000000000000,"event":"submitted","status":"pending","attempt":0,"orderType":"market","inputToken":"SOL","outputToken":"USDC","amountIn":10,"slippage":0.01,"order_id":"0a440b5a-9227-4b82-8c29-b79466d293fe","id":"0a440b5a-9227-4b82-8c29-b79466d293fe","timestamp":"2026-11-18T11:06:40.000Z"})"},
      {"routing", RoutingStarted{1},
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":2,"ts":1795000000000000000,"event":"routingStarted","status":"routing","attempt":1})",
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":2,"ts":1795000000000000000,"event":"routingStarted","status":"routing","attempt":1,"order_id":"0a440b5a-9227-4b82-8c29-b79466d293fe","id":"0a440b5a-9227-4b82-8c29-b79466d293fe","timestamp":"2026-11-18T11:06:40.000Z"})"},
      {"routed",
       Routed{1,
              token_id("SOL"),
              token_id("USDC"),
              Amount{10'000'000'000},
              {Quote{Venue::raydium, Amount{10'000'000'000}, Amount{1'498'625'860}, 25, 1, Amount{1}, Amount{1}},
               Quote{Venue::meteora, Amount{10'000'000'000}, Amount{1'520'707'236}, 20, 1, Amount{1}, Amount{1}}},
              Venue::meteora,
              Amount{1'520'707'236},
              Amount{1'505'500'163}},
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":3,"ts":1795000000000000000,"event":"routed","status":"building","attempt":1,"dex":"meteora","quotes":[{"dex":"raydium","amountOut":"1498.62586","price":"149.862586","fee":"0.0025","priceImpact":"0.0001"},{"dex":"meteora","amountOut":"1520.707236","price":"152.0707236","fee":"0.002","priceImpact":"0.0001"}],"expectedOut":"1520.707236","minOut":"1505.500163"})",
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":3,"ts":1795000000000000000,"event":"routed","status":"building","attempt":1,"dex":"meteora","quotes":[{"dex":"raydium","amountOut":1498.62586,"price":149.862586,"fee":0.0025,"priceImpact":0.0001},{"dex":"meteora","amountOut":1520.707236,"price":152.0707236,"fee":0.002,"priceImpact":0.0001}],"expectedOut":1520.707236,"minOut":1505.500163,"order_id":"0a440b5a-9227-4b82-8c29-b79466d293fe","id":"0a440b5a-9227-4b82-8c29-b79466d293fe","timestamp":"2026-11-18T11:06:40.000Z"})"},
      {"submitted tx", TxSubmitted{1, Venue::meteora, "5xTx", Amount{1}},
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":4,"ts":1795000000000000000,"event":"txSubmitted","status":"submitted","attempt":1,"dex":"meteora","txHash":"5xTx"})",
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":4,"ts":1795000000000000000,"event":"txSubmitted","status":"submitted","attempt":1,"dex":"meteora","txHash":"5xTx","order_id":"0a440b5a-9227-4b82-8c29-b79466d293fe","tx_hash":"5xTx","id":"0a440b5a-9227-4b82-8c29-b79466d293fe","timestamp":"2026-11-18T11:06:40.000Z"})"},
      {"confirmed",
       Confirmed{1, Venue::raydium, "5xTx", Amount{1'506'573'739}, token_id("SOL"), token_id("USDC"), Amount{10'000'000'000}}, R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":5,"ts":1795000000000000000,"event":"confirmed","status":"confirmed","attempt":1,"dex":"raydium","txHash":"5xTx","amountOut":"1506.573739","executedPrice":"150.6573739","legs":[{"venue":"raydium","amountIn":"10","amountOut":"1506.573739","txHash":"5xTx","status":"confirmed"}],"terminal":true})", R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":5,"ts":1795000000000000000,"event":"confirmed","status":"confirmed","attempt":1,"dex":"raydium","txHash":"5xTx","amountOut":1506.573739,"executedPrice":150.6573739,"legs":[{"venue":"raydium","amountIn":10,"amountOut":1506.573739,"txHash":"5xTx","status":"confirmed"}],"terminal":true,"order_id":"0a440b5a-9227-4b82-8c29-b79466d293fe","tx_hash":"5xTx","execution_price":150.6573739,"amount_out":1506.573739,"id":"0a440b5a-9227-4b82-8c29-b79466d293fe","timestamp":"2026-11-18T11:06:40.000Z"})"},
      {"attempt failed", AttemptFailed{1, "transaction dropped", TimestampNs{1'795'000'000'500'000'000}},
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":5,"ts":1795000000000000000,"event":"attemptFailed","status":"pending","attempt":1,"error":"transaction dropped","retryAt":1795000000500000000})",
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":5,"ts":1795000000000000000,"event":"attemptFailed","status":"pending","attempt":1,"error":"transaction dropped","retryAt":1795000000500000000,"order_id":"0a440b5a-9227-4b82-8c29-b79466d293fe","reason":"transaction dropped","id":"0a440b5a-9227-4b82-8c29-b79466d293fe","timestamp":"2026-11-18T11:06:40.000Z"})"},
      {"failed", OrderFailed{3, "transaction dropped"},
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":9,"ts":1795000000000000000,"event":"orderFailed","status":"failed","attempt":3,"error":"transaction dropped","terminal":true})",
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":9,"ts":1795000000000000000,"event":"orderFailed","status":"failed","attempt":3,"error":"transaction dropped","terminal":true,"order_id":"0a440b5a-9227-4b82-8c29-b79466d293fe","reason":"transaction dropped","id":"0a440b5a-9227-4b82-8c29-b79466d293fe","timestamp":"2026-11-18T11:06:40.000Z"})"},
      {"retried", OrderRetried{3, "operator retry"},
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":10,"ts":1795000000000000000,"event":"orderRetried","status":"pending","attempt":3,"reason":"operator retry"})",
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":10,"ts":1795000000000000000,"event":"orderRetried","status":"pending","attempt":3,"reason":"operator retry","order_id":"0a440b5a-9227-4b82-8c29-b79466d293fe","id":"0a440b5a-9227-4b82-8c29-b79466d293fe","timestamp":"2026-11-18T11:06:40.000Z"})"},
      // Not a status change: not sent to a compat client.
      {"dismissed", DeadLetterDismissed{3, "dismissed by an operator"},
       R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","seq":10,"ts":1795000000000000000,"event":"deadLetterDismissed","status":"failed","attempt":3,"reason":"dismissed by an operator","terminal":true})",
       ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto v1 = status_message_text(record_of(c.event, json::parse(c.v1).at("seq").to_number<std::uint64_t>()));
    EXPECT_EQ(v1, c.v1);
    EXPECT_EQ(compat_message(v1), c.compat);
  }
}

// Seed client 004 prints `id` and `timestamp` of every update: ISO 8601
// UTC with milliseconds, as JavaScript writes a Date.
TEST(CompatMessage, EveryStatusMessageHasTheOrdersIdAndAnIsoTimestamp) {
  auto r = record_of(RoutingStarted{1}, 2);
  r.ts = TimestampNs{1'795'000'000'123'456'789};
  const auto compat = json::parse(*compat_message(status_message_text(r))).as_object();
  EXPECT_EQ(compat.at("id").as_string(), kOrder.str());
  EXPECT_EQ(compat.at("timestamp").as_string(), "2026-11-18T11:06:40.123Z");
  r.ts = TimestampNs{999'999};  // before the first millisecond of 1970
  EXPECT_EQ(json::parse(*compat_message(status_message_text(r))).at("timestamp").as_string(),
            "1970-01-01T00:00:00.000Z");
}

// For every event of random lifecycles: the compat message has every field
// of the oee.v1 one, equal, except decimal strings, which are numbers
// written with exactly the same digits; and every snake_case name beside.
TEST(CompatMessage, IsTheV1MessageWithNumbersAndSnakeCaseNames) {
  std::mt19937_64 rng(5);
  std::uint64_t seq = 0;
  int decimals = 0;
  for (int order = 0; order < 200; ++order) {
    OrderState state;
    while (!is_terminal(state.status)) {
      const OrderEvent e = oee::testing::next_event(state, rng);
      const auto r = record_of(e, ++seq);
      // Each message of the record (a routedAndSent's steps) on its own.
      for (const auto& v1_text : status_message_texts(r)) {
        const auto compat_text = compat_message(v1_text);
        ASSERT_TRUE(compat_text) << v1_text;
        const auto v1 = json::parse(v1_text).as_object();
        if (compat_text->empty()) {
          // Not a change of status: a sniper's turned-down launch and an
          // amendment are not sent.
          const auto& event = v1.at("event");
          EXPECT_TRUE(event == "launchRejected" || event == "amended" || event == "watchAmended" ||
                      event == "legSettled")
              << v1_text;
          continue;
        }
        const auto compat = json::parse(*compat_text).as_object();
        for (const auto& kv : v1) {
          SCOPED_TRACE(v1_text);
          ASSERT_TRUE(compat.contains(kv.key())) << kv.key();
          const auto& value = compat.at(kv.key());
          if (kv.value().is_string() && value.is_number()) {
            ++decimals;
            const auto written = fmt::format("\"{}\":{}", std::string_view(kv.key()),
                                             std::string_view(kv.value().get_string()));
            EXPECT_NE(compat_text->find(written), std::string::npos) << kv.key() << " is not written with the same digits";
          } else if (kv.key() == "status" && kv.value() == "partially_filled") {
            EXPECT_EQ(value, "failed") << "the reference clients end on confirmed or failed";
          } else if (kv.key() == "quotes" || kv.key() == "legs") {
            ASSERT_TRUE(value.is_array());
            ASSERT_EQ(value.get_array().size(), kv.value().get_array().size());
          } else {
            EXPECT_EQ(value, kv.value()) << kv.key();
          }
        }
        EXPECT_EQ(compat.at("order_id"), v1.at("orderId"));
        EXPECT_TRUE(compat.at("status").is_string());
        if (v1.contains("txHash")) {
          EXPECT_EQ(compat.at("tx_hash"), v1.at("txHash"));
        }
        if (v1.contains("error")) {
          EXPECT_EQ(compat.at("reason"), v1.at("error"));
        }
        if (v1.contains("executedPrice")) {
          EXPECT_TRUE(compat.at("execution_price").is_number());
        }
        if (v1.contains("amountOut")) {
          EXPECT_TRUE(compat.at("amount_out").is_number());
        }
      }
      state = *apply(state, e, r.ts);
    }
  }
  EXPECT_GT(decimals, 1000);
}

TEST(CompatMessage, ControlMessagesAreNotSentAndErrorsCarryAStatus) {
  EXPECT_FALSE(compat_message(R"({"type":"subscribed","orderId":"x","fromSeq":0})"));
  EXPECT_FALSE(compat_message(R"({"type":"pong"})"));
  EXPECT_FALSE(compat_message(R"({"type":"unsubscribed","orderId":"x"})"));
  EXPECT_EQ(compat_message(R"({"type":"error","error":{"code":"not_found","message":"no order","field":"orderId"}})",
                           "0a440b5a-9227-4b82-8c29-b79466d293fe"),
            R"({"orderId":"0a440b5a-9227-4b82-8c29-b79466d293fe","status":"error","error":{"code":"not_found","message":"no order","field":"orderId"}})");
  EXPECT_EQ(compat_message(R"({"type":"error","error":{"code":"invalid_json","message":"m","field":null}})"),
            R"({"orderId":null,"status":"error","error":{"code":"invalid_json","message":"m","field":null}})");
  EXPECT_FALSE(compat_message("not json"));
}

}  // namespace
}  // namespace oee::core
