// Orders submitted over the WebSocket, against the real server: the answer
// is the 202 body with the request's id, the order's later statuses follow
// on the same socket, and its subscription ends with it; a bad order, a
// bad message, a key without orders:write and the compat dialect are each
// refused with the request's id and append nothing; an idempotency key
// makes a resubmission the same order. A subscription made with
// "subscribe" ends with its order too.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "harness.h"
#include "order_reads.h"

namespace oee::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kOrder = R"({"inputToken":"SOL","outputToken":"USDC","amount":"1","slippage":0.01})";

std::string submit_message(const std::string& request_id, const std::string& order = kOrder,
                           const std::string& extra = "") {
  return R"({"type":"submit","requestId":")" + request_id + R"(","order":)" + order + extra + "}";
}

// The next message, parsed; null on timeout or close.
json::value next_message(WsClient& ws, std::chrono::milliseconds timeout = 10s) {
  const auto text = ws.read(timeout);
  if (!text) return nullptr;
  return json::parse(*text);
}

// The hub's subscriptions, as /health counts them.
std::int64_t subscriptions(HttpClient& c) {
  return c.get("/health").json().at("fanOut").at("subscriptions").to_number<std::int64_t>();
}

// The orders submitted to the log, from its events.
std::size_t orders_listed(HttpClient& c, const std::map<std::string, std::string>& headers = {}) {
  const auto events = c.request("GET", "/api/events", {}, headers);
  EXPECT_EQ(events.status, 200) << events.body;
  std::size_t submitted = 0;
  const json::value body = events.json();
  for (const auto& e : body.at("events").as_array()) submitted += e.at("event") == "submitted" ? 1 : 0;
  return submitted;
}

TEST(WsSubmit, AnOrderSubmittedOverTheSocketIsAnsweredAndFollowedOnItUntilItEnds) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--fail-rate", "0"});
  server.start();
  HttpClient c(server.port());
  WsClient ws(server.port(), "/ws");
  ws.send(submit_message("r-1"));
  const json::value accepted = next_message(ws);
  ASSERT_TRUE(accepted.is_object()) << accepted;
  EXPECT_EQ(accepted.at("type"), "accepted") << accepted;
  EXPECT_EQ(accepted.at("requestId"), "r-1");
  EXPECT_EQ(accepted.at("status"), "pending");
  EXPECT_EQ(accepted.at("amount"), "1") << "the 202 body's fields";
  const std::string id(accepted.at("orderId").as_string());
  // Where the submission (its record's one message, "submitted") stands.
  StreamAt last{accepted.at("seq").to_number<std::uint64_t>(), 0};

  // routing, building, submitted, confirmed: each once, in stream order
  // ((seq, event): the first three share their routedAndSent record's seq),
  // and nothing else (no "subscribed": the answer said as much).
  std::vector<std::string> statuses;
  for (;;) {
    const json::value m = next_message(ws);
    ASSERT_TRUE(m.is_object()) << "the order's statuses stopped; seen: " << ::testing::PrintToString(statuses);
    ASSERT_FALSE(m.as_object().contains("type")) << m;
    EXPECT_EQ(m.at("orderId"), json::value(id));
    EXPECT_GT(stream_at(m), last) << m;
    last = stream_at(m);
    statuses.emplace_back(m.at("status").as_string());
    if (m.as_object().contains("terminal")) break;
  }
  EXPECT_EQ(statuses, (std::vector<std::string>{"routing", "building", "submitted", "confirmed"}));
  EXPECT_EQ(status_of(c, id), "confirmed");

  // Its subscription ended with it; an unsubscribe now changes nothing.
  EXPECT_TRUE(eventually([&] { return subscriptions(c) == 0; }, 10s)) << c.get("/health").body;
  ws.send(R"({"type":"unsubscribe","orderId":")" + id + R"("})");
  EXPECT_EQ(next_message(ws).at("type"), "unsubscribed");
  ws.send(R"({"type":"ping"})");
  EXPECT_EQ(next_message(ws).at("type"), "pong") << "the socket serves on";
}

TEST(WsSubmit, ABadOrderOrMessageIsRefusedWithItsRequestIdAndAppendsNothing) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast"});
  server.start();
  HttpClient c(server.port());
  WsClient ws(server.port(), "/ws");

  ws.send(submit_message("bad-amount", R"({"inputToken":"SOL","outputToken":"USDC","amount":"-1"})"));
  json::value m = next_message(ws);
  EXPECT_EQ(m.at("type"), "error") << m;
  EXPECT_EQ(m.at("requestId"), "bad-amount");
  EXPECT_EQ(m.at("status"), 400);
  EXPECT_EQ(m.at("error").at("code"), "invalid_amount") << m;
  EXPECT_EQ(m.at("error").at("field"), "amount");

  ws.send(submit_message("no-route", R"({"inputToken":"SOL","outputToken":"SOL","amount":"1"})"));
  m = next_message(ws);
  EXPECT_EQ(m.at("requestId"), "no-route");
  EXPECT_EQ(m.at("status"), 400) << m;

  ws.send(R"({"type":"submit","order":)" + kOrder + "}");
  m = next_message(ws);
  EXPECT_EQ(m.at("error").at("code"), "invalid_request_id") << m;
  EXPECT_FALSE(m.as_object().contains("requestId"));

  ws.send(R"({"type":"submit","requestId":"flat","inputToken":"SOL"})");
  m = next_message(ws);
  EXPECT_EQ(m.at("error").at("code"), "unknown_field") << m;
  EXPECT_EQ(m.at("requestId"), "flat");

  EXPECT_EQ(c.get("/api/events").json().at("events").as_array().size(), 0u) << "a refused submit appended";
}

TEST(WsSubmit, TheSameIdempotencyKeyMakesTheSameOrderOverTheSocketAndOverHttp) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--fail-rate", "0"});
  server.start();
  HttpClient c(server.port());
  WsClient ws(server.port(), "/ws");
  ws.send(submit_message("first", kOrder, R"(,"idempotencyKey":"k-42")"));
  const json::value first = next_message(ws);
  ASSERT_EQ(first.at("type"), "accepted") << first;
  const std::string id(first.at("orderId").as_string());
  ASSERT_TRUE(reaches(c, id, "confirmed", 10s));
  ASSERT_TRUE(eventually([&] { return subscriptions(c) == 0; }, 10s)) << "the first follow did not end";

  ws.send(submit_message("again", kOrder, R"(,"idempotencyKey":"k-42")"));
  json::value again = next_message(ws);
  while (again.is_object() && !again.as_object().contains("type")) again = next_message(ws);  // the first's statuses
  ASSERT_TRUE(again.is_object());
  EXPECT_EQ(again.at("type"), "accepted") << again;
  EXPECT_EQ(again.at("requestId"), "again");
  EXPECT_EQ(again.at("orderId"), json::value(id));
  EXPECT_EQ(again.at("idempotentReplay"), true);
  // The replay is followed from the order's first status to its end, and
  // its subscription ends with it.
  std::vector<std::string> replayed;
  for (;;) {
    const json::value m = next_message(ws);
    ASSERT_TRUE(m.is_object()) << "the replayed order's statuses stopped: " << ::testing::PrintToString(replayed);
    replayed.emplace_back(m.at("status").as_string());
    if (m.as_object().contains("terminal")) break;
  }
  EXPECT_EQ(replayed.front(), "pending");
  EXPECT_EQ(replayed.back(), "confirmed");
  EXPECT_TRUE(eventually([&] { return subscriptions(c) == 0; }, 10s)) << c.get("/health").body;

  const auto over_http =
      c.request("POST", "/api/orders/execute", kOrder, {{"Content-Type", "application/json"}, {"Idempotency-Key", "k-42"}});
  EXPECT_EQ(over_http.status, 200) << over_http.body;
  EXPECT_EQ(over_http.json().at("orderId"), json::value(id));
  EXPECT_EQ(orders_listed(c), 1u);
}

TEST(WsSubmit, AKeyWithoutOrdersWriteIsRefusedAndOneWithItSubmits) {
  TempDir dir;
  const std::string admin = random_admin_key();
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--fail-rate", "0", "--admin-key", admin});
  server.start();
  HttpClient c(server.port());
  const auto create = [&](const std::string& scopes) {
    const auto res = c.request("POST", "/api/keys", R"({"name":"ws","scopes":)" + scopes + "}",
                               {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + admin}});
    EXPECT_EQ(res.status, 201) << res.body;
    return std::string(res.json().at("key").as_string());
  };
  const std::string reader = create(R"(["orders:read"])");
  const std::string trader = create(R"(["orders:read","orders:write"])");

  WsClient read_only(server.port(), "/ws", 0, Dialect::v1, "Bearer " + reader);
  read_only.send(submit_message("ro"));
  const json::value refused = next_message(read_only);
  EXPECT_EQ(refused.at("type"), "error") << refused;
  EXPECT_EQ(refused.at("requestId"), "ro");
  EXPECT_EQ(refused.at("status"), 403);
  EXPECT_EQ(refused.at("error").at("code"), "forbidden") << refused;

  WsClient writer(server.port(), "/ws", 0, Dialect::v1, "Bearer " + trader);
  writer.send(submit_message("rw"));
  const json::value accepted = next_message(writer);
  EXPECT_EQ(accepted.at("type"), "accepted") << accepted;
  EXPECT_EQ(orders_listed(c, {{"Authorization", "Bearer " + admin}}), 1u);
}

TEST(WsSubmit, TheCompatDialectHasNoSubmitAndAppendsNothing) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast"});
  server.start();
  HttpClient c(server.port());
  WsClient ws(server.port(), "/ws", 0, Dialect::compat);
  ws.send(submit_message("compat"));
  const auto text = ws.read(10s);
  ASSERT_TRUE(text);
  EXPECT_NE(text->find("oee.v1"), std::string::npos) << *text;
  EXPECT_EQ(orders_listed(c), 0u);
}

TEST(WsSubscriptions, ASubscriptionEndsWithItsOrder) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--fail-rate", "0"});
  server.start();
  HttpClient c(server.port());
  const std::string id = submit_orders(c, 1, kOrder)[0];
  WsClient ws(server.port(), "/ws");
  ws.send(R"({"type":"subscribe","orderId":")" + id + R"("})");
  bool terminal = false;
  while (!terminal) {
    const json::value m = next_message(ws);
    ASSERT_TRUE(m.is_object()) << "no terminal status";
    terminal = m.as_object().contains("terminal");
  }
  EXPECT_TRUE(eventually([&] { return subscriptions(c) == 0; }, 10s)) << c.get("/health").body;
  // Subscribing again replays it, and ends again.
  ws.send(R"({"type":"subscribe","orderId":")" + id + R"("})");
  EXPECT_EQ(next_message(ws).at("type"), "subscribed");
  int statuses = 0;
  for (terminal = false; !terminal; ++statuses) {
    const json::value m = next_message(ws);
    ASSERT_TRUE(m.is_object());
    terminal = m.as_object().contains("terminal");
  }
  EXPECT_EQ(statuses, 5);
  EXPECT_TRUE(eventually([&] { return subscriptions(c) == 0; }, 10s));
}

}  // namespace
}  // namespace oee::e2e
