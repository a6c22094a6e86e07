// Bad input through the real server: a clear 4xx JSON error, and nothing
// appended to the log.

#include <gtest/gtest.h>

#include <algorithm>
#include <latch>
#include <set>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "harness.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;

struct Case {
  std::string name;
  std::string method;
  std::string target;
  std::string body;
  std::map<std::string, std::string> headers;
  int status;
  std::string code;
  std::string field;  // "" means null
};

const std::map<std::string, std::string> kJson{{"Content-Type", "application/json"}};

std::vector<Case> cases() {
  const std::string id = "00000000-0000-4000-8000-000000000000";
  return {
      {"invalid json", "POST", "/api/orders/execute", "{", kJson, 400, "invalid_json", ""},
      {"not an object", "POST", "/api/orders/execute", "[1]", kJson, 400, "invalid_body", ""},
      {"missing amount", "POST", "/api/orders/execute", R"({"inputToken":"SOL","outputToken":"USDC"})", kJson, 400,
       "missing_field", "amount"},
      {"negative amount", "POST", "/api/orders/execute", R"({"inputToken":"SOL","outputToken":"USDC","amount":-1})",
       kJson, 400, "invalid_amount", "amount"},
      {"zero amount", "POST", "/order", R"({"tokenIn":"SOL","tokenOut":"USDC","amount":0})", kJson, 400,
       "invalid_amount", "amount"},
      {"nan amount", "POST", "/api/orders/execute", R"({"inputToken":"SOL","outputToken":"USDC","amount":"NaN"})",
       kJson, 400, "invalid_amount", "amount"},
      {"huge exponent", "POST", "/api/orders/execute",
       R"({"inputToken":"SOL","outputToken":"USDC","amount":"1e400"})", kJson, 400, "invalid_amount", "amount"},
      {"too precise", "POST", "/api/orders/execute",
       R"({"inputToken":"USDC","outputToken":"SOL","amount":"1.0000001"})", kJson, 400, "invalid_amount", "amount"},
      {"unknown token", "POST", "/api/orders/execute", R"({"inputToken":"DOGE","outputToken":"USDC","amount":1})",
       kJson, 400, "unknown_token", "inputToken"},
      {"same token", "POST", "/api/orders/execute", R"({"inputToken":"SOL","outputToken":"sol","amount":1})", kJson,
       400, "same_token", "outputToken"},
      {"no pool", "POST", "/api/orders/execute", R"({"inputToken":"BONK","outputToken":"WIF","amount":1})", kJson,
       400, "no_route", "outputToken"},
      {"slippage too high", "POST", "/api/orders/execute",
       R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":0.9})", kJson, 400, "invalid_slippage",
       "slippage"},
      {"unknown field", "POST", "/api/orders/execute",
       R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"price":3})", kJson, 400, "unknown_field", "price"},
      {"limit without a floor", "POST", "/api/orders/execute",
       R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1})", kJson, 400, "missing_field",
       "minAmountOut"},
      {"limit expiring in the past", "POST", "/api/orders/execute",
       R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"limitPrice":150,"expiresAt":5})", kJson,
       400, "invalid_expiry", "expiresAt"},
      {"sniper for a listed token", "POST", "/api/orders/execute",
       R"({"type":"sniper","targetToken":"BONK","amount":1,"maxPrice":1})", kJson, 400, "invalid_target",
       "targetToken"},
      {"sniper without a bound", "POST", "/api/orders/execute",
       R"({"type":"sniper","targetToken":"NEWTOKEN","amount":1})", kJson, 400, "missing_field", "minAmountOut"},
      {"cancel a malformed id", "DELETE", "/api/orders/not-a-uuid", "", kJson, 400, "invalid_order_id", "orderId"},
      {"sim prices without --sim-control", "POST", "/api/sim/prices", R"({"pair":"SOL/USDC","price":1})", kJson, 404,
       "not_found", ""},
      {"not json media type", "POST", "/api/orders/execute", "amount=1", {{"Content-Type", "text/plain"}}, 415,
       "unsupported_media_type", ""},
      {"body too large", "POST", "/api/orders/execute", std::string(70 * 1024, ' '), kJson, 413, "body_too_large",
       ""},
      {"bad order id", "GET", "/api/orders/not-a-uuid", "", {}, 400, "invalid_order_id", "orderId"},
      {"unknown order", "GET", "/api/orders/" + id, "", {}, 404, "not_found", "orderId"},
      {"unknown order events", "GET", "/api/orders/" + id + "/events", "", {}, 404, "not_found", "orderId"},
      {"events fromSeq past 2^63-1", "GET", "/api/orders/" + id + "/events?fromSeq=9223372036854775808", "", {}, 400,
       "invalid_from_seq", "fromSeq"},
      {"unknown route", "GET", "/nope", "", {}, 404, "not_found", ""},
      {"wrong method", "DELETE", "/api/orders/execute", "", {}, 405, "method_not_allowed", ""},
      {"history without postgres", "GET", "/api/orders", "", {}, 503, "projection_disabled", ""},
      {"bad quote amount", "GET", "/api/quote?inputToken=SOL&outputToken=USDC&amount=abc", "", {}, 400,
       "invalid_amount", "amount"},
      {"bad dlq limit", "GET", "/api/dlq?limit=-3", "", {}, 400, "invalid_limit", "limit"},
  };
}

TEST(BadInput, EveryCaseGetsAClearErrorAndAppendsNothing) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast"});
  server.start();
  for (const auto& c : cases()) {
    HttpClient client(server.port());  // fresh: some cases close the connection
    const auto res = client.request(c.method, c.target, c.body, c.headers);
    EXPECT_EQ(res.status, c.status) << c.name << ": " << res.body;
    boost::system::error_code ec;
    const auto v = boost::json::parse(res.body, ec);
    ASSERT_FALSE(ec) << c.name << ": body is not JSON: " << res.body;
    const auto& err = v.at("error").as_object();
    EXPECT_EQ(err.at("code").as_string(), c.code) << c.name;
    EXPECT_FALSE(err.at("message").as_string().empty()) << c.name;
    if (c.field.empty()) {
      EXPECT_TRUE(err.at("field").is_null()) << c.name;
    } else {
      EXPECT_EQ(err.at("field").as_string(), c.field) << c.name;
    }
  }
  HttpClient client(server.port());
  EXPECT_EQ(client.get("/health").json().at("log").at("head").to_number<std::uint64_t>(), 0u)
      << "bad input must not append anything";
}

// Waits until `order` has finished and the executor has nothing in flight
// or waiting, then checks the log holds exactly `records` (its head is a
// count of records, not of the status messages clients see).
void expect_idle_with_head(HttpClient& client, const std::string& order, std::uint64_t records) {
  ASSERT_TRUE(eventually([&] { return client.get("/api/orders/" + order).json().at("terminal").as_bool(); }, 10s));
  ASSERT_TRUE(executor_idle(client, 10s));
  EXPECT_EQ(client.get("/health").json().at("log").at("head").to_number<std::uint64_t>(), records);
}

TEST(BadInput, IdempotencyKeyReplaysTheSameOrderAndRejectsADifferentBody) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast"});
  server.start();
  HttpClient client(server.port());
  const std::map<std::string, std::string> headers{{"Content-Type", "application/json"}, {"Idempotency-Key", "k-1"}};
  const auto first = client.request("POST", "/api/orders/execute", order_body("2"), headers);
  ASSERT_EQ(first.status, 202) << first.body;
  const auto again = client.request("POST", "/api/orders/execute", order_body("2"), headers);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json().at("orderId"), first.json().at("orderId"));
  const auto other = client.request("POST", "/api/orders/execute", order_body("3"), headers);
  EXPECT_EQ(other.status, 409) << other.body;
  EXPECT_EQ(other.json().at("error").at("code").as_string(), "idempotency_key_reused");
  // Only the first order was ever written: once nothing runs, exactly its 3
  // records (submitted, routedAndSent, confirmed: the 5 statuses a client
  // sees, routing, building and submitted sharing one record), not "3 at
  // some moment".
  expect_idle_with_head(client, std::string(first.json().at("orderId").as_string()), 3);
}

// Many clients send the same key at the same instant: one order, and every
// one of them is told its id. Rounds, so that some land in one group commit.
TEST(BadInput, OneIdempotencyKeySentByManyClientsAtOnceMakesOneOrder) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast"});
  server.start();
  constexpr int kClients = 16;
  constexpr int kRounds = 8;
  std::vector<std::string> orders;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::latch ready(kClients);
    std::vector<int> statuses(kClients);
    std::vector<std::string> ids(kClients);
    std::vector<std::thread> clients;
    for (int i = 0; i < kClients; ++i) {
      clients.emplace_back([&, i] {
        HttpClient client(server.port());
        ready.arrive_and_wait();
        const auto res =
            client.request("POST", "/api/orders/execute", order_body("2"),
                           {{"Content-Type", "application/json"}, {"Idempotency-Key", "together-" + std::to_string(round)}});
        statuses[i] = res.status;
        if (res.status == 200 || res.status == 202) ids[i] = std::string(res.json().at("orderId").as_string());
      });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 202), 1) << "one client made it";
    EXPECT_EQ(std::count(statuses.begin(), statuses.end(), 200), kClients - 1) << "the others were told of it";
    EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1u) << "every client got the same order id";
    orders.push_back(ids[0]);
  }
  HttpClient client(server.port());
  for (const auto& id : orders) {
    ASSERT_TRUE(eventually([&] { return client.get("/api/orders/" + id).json().at("terminal").as_bool(); }, 10s));
  }
  expect_idle_with_head(client, orders.back(), 3 * kRounds);  // each order's 3 records
}

TEST(BadInput, WebSocketErrorsAreMessagesNotCrashes) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast"});
  server.start();
  WsClient ws(server.port(), "/ws");
  const std::vector<std::pair<std::string, std::string>> bad{
      {"not json", "invalid_json"},
      {R"({"orderId":"x"})", "missing_field"},
      {R"({"type":"dance"})", "unknown_type"},
      {R"({"type":"subscribe","orderId":"nope"})", "invalid_order_id"},
      {R"({"type":"subscribe","orderId":"00000000-0000-4000-8000-000000000000"})", "not_found"},
      {R"({"type":"subscribe","orderId":"00000000-0000-4000-8000-000000000000","fromSeq":-1})",
       "invalid_from_seq"},
  };
  for (const auto& [message, code] : bad) {
    ws.send(message);
    const auto reply = ws.read(5s);
    ASSERT_TRUE(reply.has_value()) << message;
    const auto v = boost::json::parse(*reply);
    EXPECT_EQ(v.at("type").as_string(), "error") << message;
    EXPECT_EQ(v.at("error").at("code").as_string(), code) << message;
  }
  // An oversized message closes the connection (limit 4 KiB).
  ws.send(std::string(8192, 'x'));
  EXPECT_FALSE(ws.read(5s).has_value());
  EXPECT_EQ(ws.close_code(), 1009);
  EXPECT_THROW(WsClient(server.port(), "/nope"), std::exception);
}

}  // namespace
}  // namespace oee::e2e
