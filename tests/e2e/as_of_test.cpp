// The state as of any seq, against the real server: an order as it stood
// right after an event, the orders as they stood (newest first, a page at
// a time), the same from oee-logdump --as-of, and a seq past the log's end
// refused with the end in the error.

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"
#include "order_reads.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::uint64_t seq_of(HttpClient& c, const std::string& id) {
  return c.get("/api/orders/" + id).json().at("seq").to_number<std::uint64_t>();
}

class AsOf : public SimControlServer {};

TEST_F(AsOf, AnOrderAndTheListAreShownAsTheyStoodRightAfterAnEvent) {
  HttpClient& c = *client_;
  ASSERT_EQ(c.post_json("/api/sim/prices", R"({"pair":"SOL/USDC","price":"150"})").status, 200);
  const auto limit = submit_orders(c, 1, R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":"2","minAmountOut":"330"})");
  ASSERT_TRUE(reaches(c, limit[0], "open"));
  const std::uint64_t opened = seq_of(c, limit[0]);

  const auto market = submit_orders(c, 1);
  ASSERT_TRUE(reaches(c, market[0], "confirmed"));
  ASSERT_EQ(c.post_json("/api/sim/prices", R"({"pair":"SOL/USDC","price":"170"})").status, 200);
  ASSERT_TRUE(reaches(c, limit[0], "confirmed"));

  // The limit order, as it stood once it was open: no trigger, no fill yet.
  const auto then = c.get("/api/orders/" + limit[0] + "?asOf=" + std::to_string(opened));
  ASSERT_EQ(then.status, 200) << then.body;
  EXPECT_EQ(then.json().at("status").as_string(), "open");
  EXPECT_EQ(then.json().at("seq").to_number<std::uint64_t>(), opened);
  EXPECT_EQ(then.json().at("asOf").to_number<std::uint64_t>(), opened);
  EXPECT_FALSE(then.json().as_object().contains("amountOut")) << then.body;
  EXPECT_EQ(c.get("/api/orders/" + limit[0]).json().at("status").as_string(), "confirmed");

  // The market order did not exist yet then.
  const auto before = c.get("/api/orders/" + market[0] + "?asOf=" + std::to_string(opened));
  EXPECT_EQ(before.status, 404) << before.body;

  // The list as it stood: the limit order alone, open.
  const auto list_then = c.get("/api/orders?asOf=" + std::to_string(opened));
  ASSERT_EQ(list_then.status, 200) << list_then.body;
  const json::value then_json = list_then.json();
  const auto& orders_then = then_json.at("orders").as_array();
  ASSERT_EQ(orders_then.size(), 1U) << list_then.body;
  EXPECT_EQ(orders_then[0].at("orderId").as_string(), limit[0]);
  EXPECT_EQ(orders_then[0].at("status").as_string(), "open");

  // And now: both, newest first, each as it is.
  const std::uint64_t head = seq_of(c, limit[0]);
  const auto list_now = c.get("/api/orders?asOf=" + std::to_string(head));
  ASSERT_EQ(list_now.status, 200) << list_now.body;
  const json::value now_json = list_now.json();
  const auto& orders_now = now_json.at("orders").as_array();
  ASSERT_EQ(orders_now.size(), 2U) << list_now.body;
  EXPECT_EQ(orders_now[0].at("orderId").as_string(), market[0]);
  EXPECT_EQ(orders_now[1].at("status").as_string(), "confirmed");

  // oee-logdump says the same, of one order and of all of them.
  ASSERT_EQ(server_->terminate(), 0);
  const std::string data = (dir_.path() / "data").string();
  const auto one = run({kLogdump, "--data-dir", data, "--as-of", std::to_string(opened), "--order", limit[0]});
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_EQ(json::parse(one.out).at("status").as_string(), "open");
  const auto all = run({kLogdump, "--data-dir", data, "--as-of", std::to_string(opened)});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 1) << all.out;
  const auto past = run({kLogdump, "--data-dir", data, "--as-of", std::to_string(head + 1000)});
  EXPECT_EQ(past.exit_code, 2);
  EXPECT_NE(past.err.find(std::to_string(head)), std::string::npos) << past.err;
}

TEST_F(AsOf, TheListComesAPageAtATimeNewestFirstWithNothingTwice) {
  HttpClient& c = *client_;
  const auto ids = submit_orders(c, 7);
  ASSERT_TRUE(all_finish(c, ids));
  std::uint64_t head = 0;
  for (const auto& id : ids) head = std::max(head, seq_of(c, id));
  std::vector<std::string> seen;
  std::string target = "/api/orders?limit=3&asOf=" + std::to_string(head);
  for (int page = 0; page < 5; ++page) {
    const auto r = c.get(target);
    ASSERT_EQ(r.status, 200) << r.body;
    const json::value page_json = r.json();
    for (const auto& o : page_json.at("orders").as_array()) seen.emplace_back(o.at("orderId").as_string());
    const auto& next = page_json.at("next");
    if (next.is_null()) break;
    target = "/api/orders?limit=3&asOf=" + std::to_string(head) + "&before=" + std::to_string(next.to_number<std::uint64_t>());
  }
  EXPECT_EQ(seen, std::vector<std::string>(ids.rbegin(), ids.rend())) << "every order once, newest first";
}

TEST_F(AsOf, ASeqPastTheLogsEndOrNotASeqIsRefusedWithTheEnd) {
  HttpClient& c = *client_;
  const auto ids = submit_orders(c, 1);
  ASSERT_TRUE(all_finish(c, ids));
  const std::uint64_t head = seq_of(c, ids[0]);
  for (const std::string& bad : {std::to_string(head + 1), std::string("0"), std::string("-1"), std::string("x"),
                                std::string("1.5"), std::string("99999999999999999999999")}) {
    for (const std::string& path : {"/api/orders/" + ids[0] + "?asOf=" + bad, "/api/orders?asOf=" + bad}) {
      const auto r = c.get(path);
      EXPECT_EQ(r.status, 400) << path << " " << r.body;
      EXPECT_EQ(r.json().at("error").at("code").as_string(), "invalid_as_of") << r.body;
      EXPECT_EQ(r.json().at("error").at("field").as_string(), "asOf");
    }
  }
  const auto past = c.get("/api/orders?asOf=" + std::to_string(head + 1));
  EXPECT_NE(past.json().at("error").at("message").as_string().find("seq " + std::to_string(head)), std::string::npos)
      << past.body;
  EXPECT_EQ(c.get("/api/orders?asOf=1&before=0").status, 400);
}

}  // namespace
}  // namespace oee::e2e
