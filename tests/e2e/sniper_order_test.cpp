// Sniper orders against the real server with --sim-control: they watch for
// their token's first launch that passes their checks and price bound, buy
// once even when both venues launch at once, record the launches they turn
// down and watch on, never count a launch from before they were accepted,
// and expire and cancel like limit orders; launches survive kill -9, and a
// sniper killed between its trigger and its transaction buys once (kill -9
// at scale: waiting_restart_test.cpp).

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <map>

#include <boost/json.hpp>

#include "chain_ledger.h"
#include "harness.h"
#include "order_reads.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// 1 SOL for TARGET at no more than 0.001 SOL per token: at least 1,000 tokens.
std::string sniper_body(const std::string& target, const std::string& extra = {}) {
  return R"({"type":"sniper","targetToken":")" + target + R"(","amount":"1","maxPrice":"0.001")" + extra + "}";
}

// Launches TOKEN against SOL with 100 SOL of liquidity at 0.0001 SOL per
// token (a buy of 1 SOL fetches about 9,900 tokens); `extra` adds fields.
json::value launch(HttpClient& client, const std::string& token, const std::string& extra = {}) {
  const auto r = client.post_json("/api/sim/launches",
                                  R"({"token":")" + token + R"(","liquidity":"100","price":"0.0001")" + extra + "}");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json();
}

// Returns once the watcher has looked at everything launched so far and
// what it decided is durable: the book is read on the watcher's thread
// after the looks the launches asked for, and an order submitted after it
// is durable only after every event appended before.
void after_the_watcher_looked(HttpClient& client) {
  ASSERT_EQ(client.get("/api/book/SOL/USDC").status, 200);
  submit_orders(client, 1);
}

// Whether the order's events come to include `name`.
bool records(HttpClient& client, const std::string& id, const std::string& name) {
  return eventually([&] { return count_of(event_names(client, id), name) > 0; }, 10s);
}

class SniperOrders : public SimControlServer {};

TEST_F(SniperOrders, BuyOnceOnTheBestVenueWhenBothLaunchAtOnce) {
  HttpClient& c = *client_;
  const auto ids = submit_orders(c, 1, sniper_body("BOTHV"));
  ASSERT_TRUE(reaches(c, ids[0], "watching"));
  const json::value order = c.get("/api/orders/" + ids[0]).json();
  EXPECT_EQ(order.at("orderType").as_string(), "sniper");
  EXPECT_EQ(order.at("inputToken").as_string(), "SOL");
  EXPECT_EQ(order.at("targetToken").as_string(), "BOTHV");
  EXPECT_EQ(order.at("minAmountOut").as_string(), "1000");
  EXPECT_EQ(order.at("checks").at("requireMintRenounced"), true);
  EXPECT_EQ(order.at("checks").at("requireNoFreeze"), true);

  // No venue named: both launch in one step, with equal pools.
  const json::value launched = launch(c, "BOTHV");
  ASSERT_EQ(launched.at("launches").as_array().size(), 2u) << launched;
  ASSERT_TRUE(reaches(c, ids[0], "confirmed"));
  const auto names = event_names(c, ids[0]);
  const std::vector<std::string> expected{"submitted", "watchStarted", "triggered", "routed", "txSubmitted",
                                          "confirmed"};
  EXPECT_EQ(names, expected);
  const json::value done = c.get("/api/orders/" + ids[0]).json();
  // Equal pools: Meteora's lower fee (0.20% against 0.25%) buys more.
  EXPECT_EQ(done.at("dex").as_string(), "meteora");
  EXPECT_GE(std::stod(std::string(done.at("amountOut").as_string())), 1000.0);
  const json::value history = c.get("/api/orders/" + ids[0] + "/events").json();
  for (const auto& e : history.at("events").as_array()) {
    if (e.at("event") != "triggered") continue;
    ASSERT_EQ(e.at("quotes").as_array().size(), 2u);
    EXPECT_EQ(e.at("dex").as_string(), "meteora");
    EXPECT_EQ(e.at("minAmountOut").as_string(), "1000");
  }
}

TEST_F(SniperOrders, AWatchingSnipersMaxPriceIsAmendedAndItBuysOnTheNewBound) {
  HttpClient& c = *client_;
  // At most 0.00001 SOL per token: the launch (about 0.0001) is too dear.
  const auto ids = submit_orders(c, 1, R"({"type":"sniper","targetToken":"AMENDME","amount":"1","maxPrice":"0.00001"})");
  ASSERT_TRUE(reaches(c, ids[0], "watching"));
  EXPECT_EQ(c.get("/api/orders/" + ids[0]).json().at("minAmountOut").as_string(), "100000");
  const std::string path = "/api/orders/" + ids[0];
  const auto wrong = c.request("PATCH", path, R"({"limitPrice":"0.001"})");
  EXPECT_EQ(wrong.status, 400) << wrong.body;
  EXPECT_EQ(wrong.json().at("error").at("code").as_string(), "field_not_for_type");
  const auto amended = c.request("PATCH", path, R"({"maxPrice":"0.001"})");
  ASSERT_EQ(amended.status, 200) << amended.body;
  EXPECT_EQ(amended.json().at("status").as_string(), "watching");
  EXPECT_EQ(amended.json().at("minAmountOut").as_string(), "1000");
  launch(c, "AMENDME");
  ASSERT_TRUE(reaches(c, ids[0], "confirmed"));
  const std::vector<std::string> expected{"submitted", "watchStarted", "watchAmended", "triggered",
                                          "routed",    "txSubmitted",  "confirmed"};
  EXPECT_EQ(event_names(c, ids[0]), expected);
  const auto late = c.request("PATCH", path, R"({"maxPrice":"0.002"})");
  EXPECT_EQ(late.status, 409) << late.body;
  EXPECT_EQ(late.json().at("error").at("status").as_string(), "confirmed");
}

TEST_F(SniperOrders, ALaunchFailingACheckIsRecordedAndTheOrderWatchesOnUntilAGoodOne) {
  HttpClient& c = *client_;
  const auto ids = submit_orders(c, 1, sniper_body("FRZ", R"(,"checks":{"minLiquidity":"50"})"));
  ASSERT_TRUE(reaches(c, ids[0], "watching"));
  launch(c, "FRZ", R"(,"venue":"raydium","freezeAuthority":true)");
  ASSERT_TRUE(records(c, ids[0], "launchRejected"));
  const json::value watching = c.get("/api/orders/" + ids[0]).json();
  EXPECT_EQ(watching.at("status").as_string(), "watching");
  EXPECT_EQ(watching.at("error").as_string(), "freeze authority present");

  // Too little liquidity for its check: turned down too.
  const auto thin = c.post_json("/api/sim/launches",
                                R"({"token":"FRZ","venue":"meteora","liquidity":"10","price":"0.0001"})");
  ASSERT_EQ(thin.status, 200) << thin.body;
  ASSERT_TRUE(eventually([&] { return count_of(event_names(c, ids[0]), "launchRejected") == 2; }, 10s));
  EXPECT_EQ(status_of(c, ids[0]), "watching");

  // A token has one pool per venue.
  const auto again = c.post_json("/api/sim/launches", R"({"token":"FRZ","liquidity":"100","price":"0.0001"})");
  EXPECT_EQ(again.status, 409) << again.body;
  EXPECT_EQ(again.json().at("error").at("code").as_string(), "already_launched");

  // A sniper that requires neither check buys a pool with a freeze
  // authority and a mint that is not renounced.
  const auto lax = submit_orders(
      c, 1, sniper_body("FRZ2", R"(,"checks":{"requireNoFreeze":false,"requireMintRenounced":false})"));
  ASSERT_TRUE(reaches(c, lax[0], "watching"));
  launch(c, "FRZ2", R"(,"venue":"raydium","freezeAuthority":true,"mintRenounced":false)");
  ASSERT_TRUE(reaches(c, lax[0], "confirmed"));
  EXPECT_EQ(c.get("/api/orders/" + lax[0]).json().at("dex").as_string(), "raydium");
  EXPECT_EQ(status_of(c, ids[0]), "watching");
  EXPECT_EQ(count_of(event_names(c, ids[0]), "triggered"), 0);
}

TEST_F(SniperOrders, ALaunchFromBeforeTheOrderNeverCounts) {
  HttpClient& c = *client_;
  launch(c, "EARLY", R"(,"venue":"raydium")");
  const auto ids = submit_orders(c, 1, sniper_body("EARLY"));
  // `watching` in the log a moment before the executor holds it.
  ASSERT_TRUE(eventually(
      [&] { return metric_value(c.get("/metrics").body, R"(oee_open_orders{type="sniper",pair="SOL/new"})") == 1; },
      10s));
  // Another token's launch makes the watcher look at launches again.
  launch(c, "OTHER");
  after_the_watcher_looked(c);
  EXPECT_EQ(status_of(c, ids[0]), "watching");
  const auto names = event_names(c, ids[0]);
  EXPECT_EQ(count_of(names, "triggered"), 0);
  EXPECT_EQ(count_of(names, "launchRejected"), 0);

  launch(c, "EARLY", R"(,"venue":"meteora")");
  ASSERT_TRUE(reaches(c, ids[0], "confirmed"));
  EXPECT_EQ(c.get("/api/orders/" + ids[0]).json().at("dex").as_string(), "meteora");

  // Launched on every venue now: no launch is left to come, so a sniper
  // for it is refused rather than left waiting for ever, and nothing is
  // appended. A sniper accepted before, retried with its key, is still its
  // order.
  const auto head = c.get("/health").json().at("log").at("head").to_number<std::uint64_t>();
  const auto refused = c.post_json("/api/orders/execute", sniper_body("EARLY"));
  EXPECT_EQ(refused.status, 409) << refused.body;
  EXPECT_EQ(refused.json().at("error").at("code").as_string(), "already_launched");
  EXPECT_EQ(refused.json().at("error").at("field").as_string(), "targetToken");
  EXPECT_NE(refused.body.find("raydium"), std::string::npos) << "names the first launch's pool: " << refused.body;
  EXPECT_EQ(c.get("/health").json().at("log").at("head").to_number<std::uint64_t>(), head);
}

TEST_F(SniperOrders, ARetriedSniperIsItsOrderEvenOnceItsTokenHasLaunchedEverywhere) {
  HttpClient& c = *client_;
  const std::map<std::string, std::string> keyed{{"Content-Type", "application/json"}, {"Idempotency-Key", "snipe-1"}};
  const auto first = c.request("POST", "/api/orders/execute", sniper_body("LATER"), keyed);
  ASSERT_EQ(first.status, 202) << first.body;
  launch(c, "LATER", R"(,"venue":"raydium")");
  launch(c, "LATER", R"(,"venue":"meteora")");
  const auto retry = c.request("POST", "/api/orders/execute", sniper_body("LATER"), keyed);
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.json().at("orderId"), first.json().at("orderId"));
}

TEST_F(SniperOrders, APriceAboveTheBoundIsTurnedDown) {
  HttpClient& c = *client_;
  const auto ids = submit_orders(c, 1, sniper_body("DEAR"));
  ASSERT_TRUE(reaches(c, ids[0], "watching"));
  // 0.01 SOL per token: 1 SOL buys under 100 tokens, the order asks 1,000.
  const auto r = c.post_json("/api/sim/launches", R"({"token":"DEAR","liquidity":"100","price":"0.01"})");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(records(c, ids[0], "launchRejected"));
  const json::value order = c.get("/api/orders/" + ids[0]).json();
  EXPECT_EQ(order.at("status").as_string(), "watching");
  EXPECT_EQ(std::string(order.at("error").as_string()).rfind("price above the bound", 0), 0u) << order;
}

TEST_F(SniperOrders, ExpireWhenTheTokenNeverLaunchesAndCancelWhileWatching) {
  HttpClient& c = *client_;
  const auto expiring = submit_orders(c, 1, sniper_body("NEVER", ",\"expiresAt\":" + std::to_string(now_ms() + 1500)));
  const auto cancelled = submit_orders(c, 1, sniper_body("CANC"));
  ASSERT_TRUE(reaches(c, cancelled[0], "watching"));
  const auto r = c.request("DELETE", "/api/orders/" + cancelled[0], {}, {});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json().at("status").as_string(), "cancelled");
  launch(c, "CANC");
  ASSERT_TRUE(reaches(c, expiring[0], "expired"));
  EXPECT_EQ(status_of(c, cancelled[0]), "cancelled");
  EXPECT_EQ(count_of(event_names(c, cancelled[0]), "triggered"), 0);
  EXPECT_EQ(event_names(c, expiring[0]), (std::vector<std::string>{"submitted", "watchStarted", "expired"}));
}

TEST_F(SniperOrders, BadSnipersAndBadLaunchesAreRefusedAndChangeNothing) {
  HttpClient& c = *client_;
  const struct {
    const char* body;
    const char* code;
    const char* field;
  } orders[] = {
      {R"({"type":"sniper","targetToken":"USDC","amount":1,"maxPrice":1})", "invalid_target", "targetToken"},
      {R"({"type":"sniper","targetToken":"A-B","amount":1,"maxPrice":1})", "invalid_token", "targetToken"},
      {R"({"type":"sniper","targetToken":"NEWT","amount":1})", "missing_field", "minAmountOut"},
      {R"({"type":"sniper","targetToken":"NEWT","amount":1,"maxPrice":1,"slippage":0.01})", "field_not_for_type",
       "slippage"},
      {R"({"type":"sniper","targetToken":"NEWT","amount":1,"maxPrice":1,"checks":{"x":1}})", "unknown_field",
       "checks.x"},
      {R"({"type":"market","inputToken":"SOL","outputToken":"USDC","amount":1,"maxPrice":1})", "field_not_for_type",
       "maxPrice"},
  };
  for (const auto& o : orders) {
    const auto r = c.post_json("/api/orders/execute", o.body);
    EXPECT_EQ(r.status, 400) << o.body << " " << r.body;
    EXPECT_EQ(r.json().at("error").at("code").as_string(), o.code) << o.body;
    EXPECT_EQ(r.json().at("error").at("field").as_string(), o.field) << o.body;
  }
  const struct {
    const char* body;
    const char* code;
  } launches[] = {
      {R"({"token":"SOL","liquidity":1,"price":1})", "invalid_token"},
      {R"({"token":"X","liquidity":1,"price":1})", "invalid_token"},
      {R"({"token":"NEWT","liquidity":0,"price":1})", "invalid_liquidity"},
      {R"({"token":"NEWT","liquidity":1})", "missing_field"},
      {R"({"token":"NEWT","liquidity":1,"price":1,"quoteToken":"NEWT2"})", "invalid_quote_token"},
      {R"({"token":"NEWT","liquidity":1,"price":1,"freezeAuthority":"yes"})", "invalid_freezeAuthority"},
      {R"({"token":"NEWT","liquidity":1,"price":1,"supply":5})", "unknown_field"},
  };
  for (const auto& l : launches) {
    const auto r = c.post_json("/api/sim/launches", l.body);
    EXPECT_EQ(r.status, 400) << l.body << " " << r.body;
    EXPECT_EQ(r.json().at("error").at("code").as_string(), l.code) << l.body;
  }
  // None of them launched NEWT: its first launch still works on both venues.
  EXPECT_EQ(launch(c, "NEWT").at("launches").as_array().size(), 2u);
}

// Launches are kept on disk: after kill -9 a turned-down launch is still
// there, still turned down (not judged a second time), and its venue still
// taken.
TEST_F(SniperOrders, LaunchesSurviveKill9AndATurnedDownOneIsNotJudgedAgain) {
  HttpClient& c = *client_;
  const auto ids = submit_orders(c, 1, sniper_body("KEPT"));
  ASSERT_TRUE(reaches(c, ids[0], "watching"));
  launch(c, "KEPT", R"(,"venue":"raydium","freezeAuthority":true)");
  ASSERT_TRUE(records(c, ids[0], "launchRejected"));
  server_->kill9();

  server_->start(server_->port());
  HttpClient after(server_->port());
  ASSERT_TRUE(reaches(after, ids[0], "watching"));
  // A price set makes the watcher look at everything it holds.
  ASSERT_EQ(after.post_json("/api/sim/prices", R"({"pair":"SOL/USDC","price":"150"})").status, 200);
  after_the_watcher_looked(after);
  EXPECT_EQ(count_of(event_names(after, ids[0]), "launchRejected"), 1);
  const auto again = after.post_json("/api/sim/launches",
                                     R"({"token":"KEPT","venue":"raydium","liquidity":"100","price":"0.0001"})");
  EXPECT_EQ(again.status, 409) << again.body;

  launch(after, "KEPT", R"(,"venue":"meteora")");
  ASSERT_TRUE(reaches(after, ids[0], "confirmed"));
  EXPECT_EQ(after.get("/api/orders/" + ids[0]).json().at("dex").as_string(), "meteora");
}

// With the realistic profile's latencies, a sniper spends a while between
// its trigger and its transaction: killed there, it resumes after the
// restart on the pool it fired on, and buys exactly once.
TEST(SniperOrdersRealistic, ASniperKilledBetweenItsTriggerAndItsTransactionBuysOnce) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "realistic", "--fail-rate", "0", "--sim-control",
                                             "--watch-interval", "20", "--sim-launch-every", "0"});
  server.start();
  HttpClient c(server.port());
  const auto ids = submit_orders(c, 20, sniper_body("MIDWAY"));
  ASSERT_TRUE(reaches(c, ids.back(), "watching"));
  launch(c, "MIDWAY");
  ASSERT_TRUE(one_is_mid_execution(c, ids));
  server.kill9();

  server.start(server.port());
  HttpClient after(server.port());
  expect_each_executed_once(after, ids);  // And the chain agrees: one landed transaction per order, none more.
  expect_ledger_equals_confirmed(dir.path() / "data", server.port());
}

}  // namespace
}  // namespace oee::e2e
