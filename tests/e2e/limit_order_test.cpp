// Limit orders against the real server with --sim-control: they wait in the
// book until the best exact quote reaches their floor, fill with at least
// it, expire on time, and are cancelled durably; a cancel and a trigger in
// the same instant end in exactly one of them; one killed between its
// trigger and its transaction executes once (kill -9 at scale:
// waiting_restart_test.cpp).

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "chain_ledger.h"
#include "harness.h"
#include "order_reads.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::string limit_body(const std::string& amount, const std::string& min_out, const std::string& extra = {}) {
  return R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":")" + amount + R"(","minAmountOut":")" +
         min_out + "\"" + extra + "}";
}

// Pins both venues' SOL/USDC pools at `price`.
void set_price(HttpClient& client, const std::string& price) {
  const auto r = client.post_json("/api/sim/prices", R"({"pair":"SOL/USDC","price":")" + price + "\"}");
  ASSERT_EQ(r.status, 200) << r.body;
}

// Whether the SOL/USDC book comes to hold `orders` orders: an order is
// `open` in the log a moment before the executor has it in its book.
bool in_book(HttpClient& client, int orders) {
  return eventually([&] { return client.get("/api/book/SOL/USDC").json().at("orders").to_number<int>() == orders; },
                    10s);
}

// Base units of a decimal with 6 places ("209.575607" -> 209575607).
std::int64_t usdc_units(std::string_view text) { return static_cast<std::int64_t>(units(text, 6)); }

class LimitOrders : public SimControlServer {};

TEST_F(LimitOrders, WaitUntilThePriceReachesTheirFloorAndFillWithAtLeastIt) {
  HttpClient& c = *client_;
  set_price(c, "150");
  const auto ids = submit_orders(c, 1, limit_body("2", "330"));
  ASSERT_TRUE(in_book(c, 1));
  // Setting the price again makes the watcher look; the book is asked
  // after that look, on the same thread: 150 does not pay 330 for 2 SOL.
  set_price(c, "150");
  ASSERT_EQ(c.get("/api/book/SOL/USDC").json().at("orders").to_number<int>(), 1);
  EXPECT_EQ(status_of(c, ids[0]), "open");
  EXPECT_EQ(count_of(event_names(c, ids[0]), "triggered"), 0);

  set_price(c, "170");
  ASSERT_TRUE(reaches(c, ids[0], "confirmed"));
  const json::value order = c.get("/api/orders/" + ids[0]).json();
  EXPECT_EQ(order.at("orderType").as_string(), "limit");
  EXPECT_EQ(order.at("minAmountOut").as_string(), "330");
  EXPECT_GE(usdc_units(order.at("amountOut").as_string()), 330'000'000);
  EXPECT_TRUE(order.as_object().contains("triggeredAt"));
  EXPECT_TRUE(order.as_object().contains("expiresAt"));

  const json::value history = c.get("/api/orders/" + ids[0] + "/events").json();
  std::vector<std::string> names;
  for (const auto& e : history.at("events").as_array()) {
    names.emplace_back(e.at("event").as_string());
    if (e.at("event") != "triggered") continue;
    // The trigger records both venues' quotes and the floor it fired on;
    // the best quote is at least the floor.
    EXPECT_EQ(e.at("minAmountOut").as_string(), "330");
    ASSERT_EQ(e.at("quotes").as_array().size(), 2u);
    EXPECT_GE(usdc_units(e.at("expectedOut").as_string()), 330'000'000);
  }
  const std::vector<std::string> expected{"submitted", "opened", "triggered", "routed", "txSubmitted", "confirmed"};
  EXPECT_EQ(names, expected);
}

TEST_F(LimitOrders, ALimitPriceIsOutputPerInput) {
  HttpClient& c = *client_;
  set_price(c, "150");
  const auto r = c.post_json("/api/orders/execute",
                             R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":2,"limitPrice":"160"})");
  ASSERT_EQ(r.status, 202) << r.body;
  const std::string id(r.json().at("orderId").as_string());
  ASSERT_TRUE(reaches(c, id, "open"));
  EXPECT_EQ(c.get("/api/orders/" + id).json().at("minAmountOut").as_string(), "320");
}

TEST_F(LimitOrders, TheBookListsOpenOrdersByPriceWithCountsAndTheMetricsCountThem) {
  HttpClient& c = *client_;
  set_price(c, "150");
  auto ids = submit_orders(c, 2, limit_body("1", "160"));
  for (const auto& id : submit_orders(c, 1, limit_body("2", "340"))) ids.push_back(id);
  for (const auto& id : submit_orders(c, 1, limit_body("1", "180"))) ids.push_back(id);
  ASSERT_TRUE(in_book(c, 4));
  json::value book = c.get("/api/book/SOL/USDC").json();
  const auto& levels = book.at("levels").as_array();
  ASSERT_EQ(levels.size(), 3u) << book;
  EXPECT_EQ(levels[0].at("price").as_string(), "160");
  EXPECT_EQ(levels[0].at("orders").to_number<int>(), 2);
  EXPECT_EQ(levels[0].at("amountIn").as_string(), "2");
  EXPECT_EQ(levels[1].at("price").as_string(), "170");
  EXPECT_EQ(levels[1].at("amountIn").as_string(), "2");
  EXPECT_EQ(levels[2].at("price").as_string(), "180");
  EXPECT_EQ(c.get("/api/book/USDC/SOL").json().at("orders").to_number<int>(), 0) << "the other direction is empty";
  EXPECT_EQ(c.get("/api/book/SOL/NOPE").status, 400);
  const std::string open_sample = R"(oee_open_orders{type="limit",pair="SOL/USDC"})";
  EXPECT_EQ(metric_value(c.get("/metrics").body, open_sample), 4);

  ASSERT_EQ(c.request("DELETE", "/api/orders/" + ids[0], {}, {}).status, 200);
  book = c.get("/api/book/SOL/USDC").json();
  EXPECT_EQ(book.at("orders").to_number<int>(), 3);
  EXPECT_EQ(book.at("levels").as_array()[0].at("orders").to_number<int>(), 1);

  // 175 fires the two lower prices; 180 waits.
  set_price(c, "175.5");
  ASSERT_TRUE(reaches(c, ids[1], "confirmed"));
  ASSERT_TRUE(reaches(c, ids[2], "confirmed"));
  EXPECT_EQ(status_of(c, ids[3]), "open");
  book = c.get("/api/book/SOL/USDC").json();
  EXPECT_EQ(book.at("orders").to_number<int>(), 1);
  const std::string metrics = c.get("/metrics").body;
  EXPECT_EQ(metric_value(metrics, open_sample), 1);
  EXPECT_EQ(metric_value(metrics, "oee_triggers_total"), 2);
  EXPECT_EQ(metric_value(metrics, "oee_trigger_latency_seconds_count"), 2);
  EXPECT_EQ(prometheus_format_errors(metrics), "");
}

TEST_F(LimitOrders, ExpireAtTheirTimeAndNotBefore) {
  HttpClient& c = *client_;
  set_price(c, "150");
  const std::int64_t expires_at = now_ms() + 1500;
  const auto ids = submit_orders(c, 1, limit_body("1", "1000", ",\"expiresAt\":" + std::to_string(expires_at)));
  ASSERT_TRUE(reaches(c, ids[0], "expired"));
  const json::value order = c.get("/api/orders/" + ids[0]).json();
  EXPECT_EQ(order.at("expiresAt").to_number<std::int64_t>(), expires_at);
  EXPECT_GE(order.at("expiredAt").to_number<std::int64_t>(), expires_at);
  EXPECT_TRUE(order.at("terminal").as_bool());
  EXPECT_EQ(event_names(c, ids[0]), (std::vector<std::string>{"submitted", "opened", "expired"}));
}

TEST_F(LimitOrders, ACancelIsDurableIdempotentAndTooLateOnceTriggered) {
  HttpClient& c = *client_;
  set_price(c, "150");
  const auto ids = submit_orders(c, 2, limit_body("1", "1000"));
  ASSERT_TRUE(reaches(c, ids[0], "open"));
  const auto cancelled = c.request("DELETE", "/api/orders/" + ids[0], {}, {});
  ASSERT_EQ(cancelled.status, 200) << cancelled.body;
  EXPECT_EQ(cancelled.json().at("status").as_string(), "cancelled");
  EXPECT_TRUE(cancelled.json().as_object().contains("cancelledAt"));
  // Again, and by the other spelling: still cancelled, nothing appended.
  const auto again = c.post_json("/api/orders/" + ids[0] + "/cancel", "");
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json().at("seq"), cancelled.json().at("seq"));
  EXPECT_EQ(event_names(c, ids[0]), (std::vector<std::string>{"submitted", "opened", "cancelled"}));

  // A cancelled order never fires, however the price moves.
  set_price(c, "2000");
  ASSERT_TRUE(reaches(c, ids[1], "confirmed"));
  EXPECT_EQ(status_of(c, ids[0]), "cancelled");
  const auto late = c.request("DELETE", "/api/orders/" + ids[1], {}, {});
  EXPECT_EQ(late.status, 409) << late.body;
  EXPECT_EQ(late.json().at("error").at("code").as_string(), "too_late");
  EXPECT_EQ(status_of(c, ids[1]), "confirmed");

  // A market order that has run cannot be cancelled either.
  const auto market = submit_orders(c, 1, order_body());
  ASSERT_TRUE(reaches(c, market[0], "confirmed"));
  EXPECT_EQ(c.request("DELETE", "/api/orders/" + market[0], {}, {}).status, 409);

  // It survives a restart as it is.
  server_->kill9();
  server_->start(server_->port());
  HttpClient after(server_->port());
  EXPECT_EQ(status_of(after, ids[0]), "cancelled");
  EXPECT_EQ(status_of(after, ids[1]), "confirmed");
}

TEST_F(LimitOrders, ACancelAndATriggerInTheSameInstantEndInExactlyOneOfThem) {
  HttpClient& c = *client_;
  HttpClient canceller(server_->port());
  for (int round = 0; round < 25; ++round) {
    SCOPED_TRACE(round);
    set_price(c, "150");
    const auto ids = submit_orders(c, 1, limit_body("1", "160"));
    ASSERT_TRUE(reaches(c, ids[0], "open"));
    int cancel_status = 0;
    std::string cancel_body;
    std::thread cancel([&] {
      const auto answer = canceller.request("DELETE", "/api/orders/" + ids[0], {}, {});
      cancel_status = answer.status;
      cancel_body = answer.body;
    });
    set_price(c, "170");
    cancel.join();
    ASSERT_TRUE(eventually([&] { return c.get("/api/orders/" + ids[0]).json().at("terminal").as_bool(); }, 15s));
    const auto names = event_names(c, ids[0]);
    const std::string status = status_of(c, ids[0]);
    if (cancel_status == 200) {
      EXPECT_EQ(status, "cancelled");
      EXPECT_EQ(count_of(names, "triggered"), 0);
    } else {
      EXPECT_EQ(cancel_status, 409) << cancel_body << server_->stderr_tail();
      EXPECT_EQ(status, "confirmed");
      EXPECT_EQ(count_of(names, "triggered"), 1);
      EXPECT_EQ(count_of(names, "cancelled"), 0);
    }
    EXPECT_EQ(count_of(names, "confirmed") + count_of(names, "cancelled"), 1);
  }
}

TEST_F(LimitOrders, AnAmendmentMovesAWaitingOrdersFloorAndExpiryDurablyAndItFiresOnTheNewOne) {
  HttpClient& c = *client_;
  set_price(c, "150");
  const auto ids = submit_orders(c, 1, limit_body("1", "250"));
  ASSERT_TRUE(in_book(c, 1));
  const std::int64_t expires_at = now_ms() + 3'600'000;
  const auto amended = c.request("PATCH", "/api/orders/" + ids[0],
                                 R"({"limitPrice":"200","expiresAt":)" + std::to_string(expires_at) + "}");
  ASSERT_EQ(amended.status, 200) << amended.body;
  EXPECT_EQ(amended.json().at("status").as_string(), "open");
  EXPECT_EQ(amended.json().at("minAmountOut").as_string(), "200");
  EXPECT_EQ(amended.json().at("expiresAt").to_number<std::int64_t>(), expires_at);
  // The book holds it at its new price, once.
  const json::value book = c.get("/api/book/SOL/USDC").json();
  ASSERT_EQ(book.at("orders").to_number<int>(), 1) << book;
  EXPECT_EQ(book.at("levels").as_array()[0].at("price").as_string(), "200");
  // The same terms again change nothing and append nothing.
  const auto same = c.request("PATCH", "/api/orders/" + ids[0], R"({"minAmountOut":"200"})");
  ASSERT_EQ(same.status, 200) << same.body;
  EXPECT_EQ(same.json().at("seq"), amended.json().at("seq"));
  EXPECT_EQ(event_names(c, ids[0]), (std::vector<std::string>{"submitted", "opened", "amended"}));
  const json::value history = c.get("/api/orders/" + ids[0] + "/events").json();
  const auto& last = history.at("events").as_array().back();
  EXPECT_EQ(last.at("status").as_string(), "open");
  EXPECT_EQ(last.at("minAmountOut").as_string(), "200");
  EXPECT_EQ(last.at("expiresAt").to_number<std::int64_t>(), expires_at);

  // Durable: after kill -9 the order waits on its new terms. The price set
  // by hand ends with the process, and the market drifts up to about 6%
  // around 150 meanwhile: every floor here is far above that.
  server_->kill9();
  server_->start(server_->port());
  HttpClient after(server_->port());
  ASSERT_TRUE(in_book(after, 1));
  EXPECT_EQ(after.get("/api/book/SOL/USDC").json().at("levels").as_array()[0].at("price").as_string(), "200");
  // Below the new floor (195 less fees) it waits; above it, it fires on it.
  set_price(after, "195");
  ASSERT_EQ(after.get("/api/book/SOL/USDC").json().at("orders").to_number<int>(), 1);  // asked after the look
  EXPECT_EQ(status_of(after, ids[0]), "open");
  set_price(after, "210");
  ASSERT_TRUE(reaches(after, ids[0], "confirmed"));
  const json::value fired = after.get("/api/orders/" + ids[0] + "/events").json();
  std::vector<std::string> floors;  // of each trigger: one, on the amended floor
  for (const auto& e : fired.at("events").as_array()) {
    if (e.at("event") == "triggered") floors.emplace_back(e.at("minAmountOut").as_string());
  }
  EXPECT_EQ(floors, std::vector<std::string>{"200"});
  EXPECT_GE(usdc_units(after.get("/api/orders/" + ids[0]).json().at("amountOut").as_string()), 200'000'000);
}

TEST_F(LimitOrders, AnAmendmentIsRefusedWithTheReasonAndChangesNothing) {
  HttpClient& c = *client_;
  set_price(c, "150");
  const auto ids = submit_orders(c, 1, limit_body("1", "1000"));
  ASSERT_TRUE(in_book(c, 1));
  const std::string path = "/api/orders/" + ids[0];
  const struct {
    std::string body;
    const char* code;
  } bad[] = {
      {"{}", "missing_field"},
      {R"({"limitPrice":"abc"})", "invalid_limit_price"},
      {R"({"limitPrice":"0"})", "invalid_limit_price"},
      {R"({"minAmountOut":"1.0000001"})", "invalid_min_amount_out"},
      {R"({"maxPrice":"1"})", "field_not_for_type"},
      {R"({"limitPrice":"160","minAmountOut":"160"})", "conflicting_fields"},
      {R"({"expiresAt":1000})", "invalid_expiry"},
      {R"({"expiresAt":null})", "invalid_expiry"},
      {R"({"expiresAt":)" + std::to_string(now_ms() + 31LL * 24 * 3600 * 1000) + "}", "invalid_expiry"},
      {R"({"amount":"2"})", "unknown_field"},
      {R"([1])", "invalid_body"},
  };
  for (const auto& k : bad) {
    const auto r = c.request("PATCH", path, k.body);
    EXPECT_EQ(r.status, 400) << k.body << " " << r.body;
    EXPECT_EQ(r.json().at("error").at("code").as_string(), k.code) << k.body << " " << r.body;
  }
  EXPECT_EQ(c.request("PATCH", path, R"({"limitPrice":"160"})", {{"Content-Type", "text/plain"}}).status, 415);
  EXPECT_EQ(c.request("PATCH", "/api/orders/00000000-0000-4000-8000-000000000000", R"({"limitPrice":"160"})").status,
            404);
  EXPECT_EQ(event_names(c, ids[0]), (std::vector<std::string>{"submitted", "opened"}));
  EXPECT_EQ(c.get(path).json().at("minAmountOut").as_string(), "1000");

  // Finished orders answer 409 with the status that decided it.
  ASSERT_EQ(c.request("DELETE", path, {}, {}).status, 200);
  const auto cancelled = c.request("PATCH", path, R"({"limitPrice":"160"})");
  EXPECT_EQ(cancelled.status, 409) << cancelled.body;
  EXPECT_EQ(cancelled.json().at("error").at("code").as_string(), "too_late");
  EXPECT_EQ(cancelled.json().at("error").at("status").as_string(), "cancelled");
  const auto market = submit_orders(c, 1, order_body());
  ASSERT_TRUE(reaches(c, market[0], "confirmed"));
  const auto not_amendable = c.request("PATCH", "/api/orders/" + market[0], R"({"limitPrice":"160"})");
  EXPECT_EQ(not_amendable.status, 409) << not_amendable.body;
  EXPECT_EQ(not_amendable.json().at("error").at("code").as_string(), "not_amendable");
  const auto filled = submit_orders(c, 1, limit_body("1", "100"));
  ASSERT_TRUE(reaches(c, filled[0], "confirmed"));
  const auto late = c.request("PATCH", "/api/orders/" + filled[0], R"({"limitPrice":"160"})");
  EXPECT_EQ(late.status, 409) << late.body;
  EXPECT_EQ(late.json().at("error").at("status").as_string(), "confirmed");
  EXPECT_EQ(count_of(event_names(c, filled[0]), "amended"), 0);
}

TEST_F(LimitOrders, SimControlTakesOnlyWellFormedPricesAndOnlyOnThisMachine) {
  HttpClient& c = *client_;
  const struct {
    const char* body;
    const char* code;
  } cases[] = {
      {R"({"pair":"SOL/NOPE","price":1})", "invalid_pair"},
      {R"({"pair":"SOLUSDC","price":1})", "invalid_pair"},
      {R"({"pair":"SOL/USDC","price":0})", "invalid_price"},
      {R"({"pair":"SOL/USDC","price":"-3"})", "invalid_price"},
      {R"({"pair":"USDC/SOL","price":"100000"})", "invalid_price"},  // past 128 bits in the reserve math
      {R"({"pair":"SOL/USDC"})", "missing_field"},
      {R"({"venue":"orca","pair":"SOL/USDC","price":1})", "invalid_venue"},
      {R"({"pair":"SOL/USDC","price":1,"size":2})", "unknown_field"},
  };
  for (const auto& k : cases) {
    const auto r = c.post_json("/api/sim/prices", k.body);
    EXPECT_EQ(r.status, 400) << k.body << " " << r.body;
    EXPECT_EQ(r.json().at("error").at("code").as_string(), k.code) << k.body;
  }
  // One venue only; the pair may be written either way round.
  const auto one = c.post_json("/api/sim/prices", R"({"venue":"meteora","pair":"USDC/SOL","price":"0.005"})");
  ASSERT_EQ(one.status, 200) << one.body;
  const json::value answer = one.json();
  const auto& pools = answer.at("pools").as_array();
  ASSERT_EQ(pools.size(), 1u);
  EXPECT_EQ(pools[0].at("dex").as_string(), "meteora");
  EXPECT_EQ(pools[0].at("price").as_string(), "0.005");
  const auto quote = c.get("/api/quote?inputToken=SOL&outputToken=USDC&amount=1").json();
  // 200 USDC per SOL less meteora's 0.2% fee, and a sliver of price impact.
  const auto meteora_out = usdc_units(quote.at("quotes").as_array()[1].at("amountOut").as_string());
  EXPECT_LE(meteora_out, 199'600'000) << quote;
  EXPECT_GT(meteora_out, 199'500'000) << quote;

  // Whoever reaches a server on the network must not set its prices.
  TempDir dir;
  const auto refused = run({kServer, "--data-dir", (dir.path() / "net").string(), "--bind", "0.0.0.0", "--port",
                            "0", "--auth", "off", "--sim-control"});
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_NE(refused.err.find("--sim-control"), std::string::npos) << refused.err;
}

// With the realistic profile's latencies, an order spends a quarter of a
// second between its trigger and its transaction: killed there, it resumes
// from the log and executes exactly once.
TEST(LimitOrdersRealistic, AnOrderKilledBetweenItsTriggerAndItsTransactionResumesOnce) {
  TempDir dir;
  ServerProcess server(dir.path() / "data",
                       {"--sim", "realistic", "--fail-rate", "0", "--sim-control", "--watch-interval", "20"});
  server.start();
  HttpClient c(server.port());
  // They ask 120 USDC for 1 SOL: not at 100, but at 170, and at the
  // drifting price (about 150) the restarted market starts from, so the
  // ones resumed mid-execution are not re-priced back to the book.
  set_price(c, "100");
  const auto ids = submit_orders(c, 20, limit_body("1", "120"));
  ASSERT_TRUE(in_book(c, 20));
  set_price(c, "170");
  // Killed while some are between their trigger and their transaction.
  ASSERT_TRUE(one_is_mid_execution(c, ids));
  server.kill9();

  server.start(server.port());
  HttpClient after(server.port());
  expect_each_executed_once(after, ids);  // And the chain agrees: one landed transaction per order, none more.
  expect_ledger_equals_confirmed(dir.path() / "data", server.port());
}

}  // namespace
}  // namespace oee::e2e
