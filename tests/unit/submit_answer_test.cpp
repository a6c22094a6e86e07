// The submit answer written straight to its bytes is the text the JSON
// object it stands for serializes to, in every spelling and kind.

#include "api/routes/submit_answer.h"

#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "core/wire/status_message.h"

namespace oee::api {
namespace {

namespace json = boost::json;

// The answer as it was built before: an object, serialized, and the
// decimal strings unquoted for a client that sent numbers.
std::string reference(const SubmitRequest& order, const OrderId& id, std::string_view status, Seq seq, bool replay,
                      std::optional<std::uint32_t> partition) {
  json::object answer{{order.snake_case ? "order_id" : "orderId", id.str()}, {"status", status}, {"seq", seq.value}};
  if (replay) answer[order.snake_case ? "idempotent_replay" : "idempotentReplay"] = true;
  answer[order.snake_case ? "token_in" : "inputToken"] = order.input.symbol();
  const bool sniper = order.order_type == core::OrderType::sniper;
  answer[sniper ? (order.snake_case ? "target_token" : "targetToken") : (order.snake_case ? "token_out" : "outputToken")] =
      order.output.symbol();
  std::vector<std::pair<std::string, std::string>> used{
      {order.snake_case ? "amount_in" : "amount", core::format_amount(order.amount, order.input.decimals())}};
  if (order.order_type == core::OrderType::market || order.order_type == core::OrderType::recurring) {
    used.emplace_back(order.snake_case ? "max_slippage" : "slippage", core::bps_fraction(order.slippage_bps));
  } else {
    used.emplace_back(order.snake_case ? "min_amount_out" : "minAmountOut",
                      core::format_amount(order.min_amount_out, order.output.decimals()));
  }
  for (const auto& [name, text] : used) answer[name] = text;
  if (partition) answer["partition"] = *partition;
  std::string body = json::serialize(answer);
  if (order.numbers) {
    for (const auto& [name, text] : used) {
      const std::string quoted = "\"" + name + "\":\"" + text + "\"";
      if (const auto at = body.find(quoted); at != std::string::npos) {
        body.replace(at, quoted.size(), "\"" + name + "\":" + text);
      }
    }
  }
  return body;
}

TEST(SubmitAnswer, IsWhatTheJsonObjectSerializesTo) {
  const auto id = *OrderId::parse("0b7c1a52-9d4e-4f1a-8c3b-2e5d6f708192");
  const auto sol = core::TokenId::parse("SOL");
  const auto usdc = core::TokenId::parse("USDC");
  ASSERT_TRUE(sol && usdc);
  int cases = 0;
  for (const auto type : {core::OrderType::market, core::OrderType::limit, core::OrderType::sniper,
                          core::OrderType::recurring}) {
    for (const bool snake : {false, true}) {
      for (const bool numbers : {false, true}) {
        for (const bool replay : {false, true}) {
          for (const auto partition : {std::optional<std::uint32_t>{}, std::optional<std::uint32_t>{7}}) {
            for (const auto& [amount, seq, bps] : {std::tuple{std::uint64_t{1'500'000'000}, std::uint64_t{1}, 50u},
                                                   std::tuple{std::uint64_t{1}, std::uint64_t{18'446'744'073'709'551'615ULL}, 1u},
                                                   std::tuple{std::uint64_t{123'456'789'012}, std::uint64_t{0}, 5'000u}}) {
              SubmitRequest order;
              order.order_type = type;
              order.input = *sol;
              order.output = *usdc;
              order.amount = core::Amount{amount};
              order.min_amount_out = core::Amount{amount / 3 + 1};
              order.slippage_bps = bps;
              order.snake_case = snake;
              order.numbers = numbers;
              for (const std::string_view status : {"pending", "confirmed"}) {
                const auto expected = reference(order, id, status, Seq{seq}, replay, partition);
                EXPECT_EQ(submit_answer_body(order, id, status, Seq{seq}, replay, partition), expected);
                EXPECT_NO_THROW((void)json::parse(expected));
                ++cases;
              }
            }
          }
        }
      }
    }
  }
  EXPECT_EQ(cases, 4 * 2 * 2 * 2 * 2 * 3 * 2);
}

// A client that left the pair to --default-pair reads which it traded, in
// its own spelling.
TEST(SubmitAnswer, NamesThePairTheOrderTrades) {
  const auto id = *OrderId::parse("0b7c1a52-9d4e-4f1a-8c3b-2e5d6f708192");
  SubmitRequest order;
  order.input = *core::TokenId::parse("SOL");
  order.output = *core::TokenId::parse("USDC");
  order.amount = core::Amount{50'000'000'000};
  order.numbers = true;
  EXPECT_EQ(submit_answer_body(order, id, "pending", Seq{1}, false, std::nullopt),
            R"({"orderId":"0b7c1a52-9d4e-4f1a-8c3b-2e5d6f708192","status":"pending","seq":1,)"
            R"("inputToken":"SOL","outputToken":"USDC","amount":50,"slippage":0.005})");
  order.snake_case = true;
  EXPECT_EQ(submit_answer_body(order, id, "pending", Seq{1}, false, std::nullopt),
            R"({"order_id":"0b7c1a52-9d4e-4f1a-8c3b-2e5d6f708192","status":"pending","seq":1,)"
            R"("token_in":"SOL","token_out":"USDC","amount_in":50,"max_slippage":0.005})");
}

}  // namespace
}  // namespace oee::api
