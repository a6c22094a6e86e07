// What the clients written for the reference services read, against the
// real server: CORS for pages on another origin, the answer's spelling,
// and the service's identity at GET /.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/algorithm/string/predicate.hpp>
#include <boost/json.hpp>

#include "harness.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;

const std::string kOrder = R"({"inputToken":"SOL","outputToken":"USDC","amount":1})";
const std::string kUpgrade =
    "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

class Clients : public ::testing::Test {
 protected:
  void SetUp() override { server.start(); }

  std::string header(const HttpResponse& r, const std::string& name) {
    for (const auto& [k, v] : r.headers) {
      if (boost::iequals(k, name)) return v;
    }
    return {};
  }

  bool has_cors_headers(const HttpResponse& r) {
    for (const auto& [k, v] : r.headers) {
      if (boost::istarts_with(k, "Access-Control-")) return true;
    }
    return false;
  }

  TempDir dir;
  ServerProcess server{dir.path() / "data", {"--sim", "fast"}};
};

// A page on http://localhost:5173 (the default allows loopback pages)
// posting JSON with an idempotency key sends a preflight first.
TEST_F(Clients, APreflightFromAnAllowedOriginIsAnsweredOnEveryRestRoute) {
  HttpClient client(server.port());
  for (const std::string target : {"/api/orders/execute", "/api/orders", "/api/orders/x/events", "/api/dlq",
                                   "/api/quote", "/health", "/"}) {
    SCOPED_TRACE(target);
    const auto r = client.request("OPTIONS", target, {},
                                  {{"Origin", "http://localhost:5173"},
                                   {"Access-Control-Request-Method", "POST"},
                                   {"Access-Control-Request-Headers", "content-type, idempotency-key"}});
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "http://localhost:5173");
    const auto methods = header(r, "Access-Control-Allow-Methods");
    for (const char* m : {"GET", "POST", "DELETE"}) EXPECT_NE(methods.find(m), std::string::npos) << m;
    const auto headers = header(r, "Access-Control-Allow-Headers");
    for (const char* h : {"Content-Type", "Idempotency-Key", "Authorization"}) {
      EXPECT_NE(headers.find(h), std::string::npos) << h;
    }
    EXPECT_FALSE(header(r, "Access-Control-Max-Age").empty());
    EXPECT_EQ(header(r, "Vary"), "Origin");
  }
}

TEST_F(Clients, AnAllowedOriginMayReadEveryAnswer) {
  HttpClient client(server.port());
  const auto r = client.request("POST", "/api/orders/execute", kOrder,
                                {{"Content-Type", "application/json"}, {"Origin", "http://127.0.0.1:8080"}});
  ASSERT_EQ(r.status, 202) << r.body;
  EXPECT_EQ(header(r, "Access-Control-Allow-Origin"), "http://127.0.0.1:8080");
  EXPECT_EQ(header(r, "Vary"), "Origin");
  const auto health = client.request("GET", "/health", {}, {{"Origin", "http://localhost:3001"}});
  EXPECT_EQ(header(health, "Access-Control-Allow-Origin"), "http://localhost:3001");
  const auto id = std::string(r.json().at("orderId").as_string());
  const auto order = client.request("GET", "/api/orders/" + id, {}, {{"Origin", "http://localhost:3001"}});
  EXPECT_EQ(order.status, 200);
  EXPECT_EQ(header(order, "Access-Control-Allow-Origin"), "http://localhost:3001");
  const auto missing = client.request("GET", "/api/orders/nope", {}, {{"Origin", "http://localhost:3001"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(header(missing, "Access-Control-Allow-Origin"), "http://localhost:3001") << "errors too, or the page cannot read why";
}

TEST_F(Clients, AnOriginOutsideTheListGetsNoCorsHeadersAndNoWebSocket) {
  HttpClient client(server.port());
  const auto preflight = client.request("OPTIONS", "/api/orders/execute", {},
                                        {{"Origin", "https://evil.example"}, {"Access-Control-Request-Method", "POST"}});
  EXPECT_EQ(preflight.status, 403);
  EXPECT_FALSE(has_cors_headers(preflight));
  EXPECT_EQ(preflight.json().at("error").at("code"), "origin_not_allowed");

  const auto get = client.request("GET", "/health", {}, {{"Origin", "https://evil.example"}});
  EXPECT_EQ(get.status, 200);
  EXPECT_FALSE(has_cors_headers(get)) << "the browser must not let the page read it";

  // A POST a form could send without a preflight does nothing.
  for (const std::string target : {"/api/orders/execute", "/api/dlq/00000000-0000-4000-8000-000000000000/retry"}) {
    const auto post = client.request("POST", target, kOrder,
                                     {{"Content-Type", "application/json"}, {"Origin", "https://evil.example"}});
    EXPECT_EQ(post.status, 403) << target;
    EXPECT_FALSE(has_cors_headers(post));
  }
  EXPECT_EQ(client.get("/health").json().at("log").at("head"), 0) << "nothing may be appended for that origin";

  RawConnection ws(server.port());
  ws.send(kUpgrade + "Origin: https://evil.example\r\n\r\n");
  ASSERT_TRUE(ws.read_until_closed(5s));
  EXPECT_EQ(response_statuses(ws.received()), std::vector<int>{403});
  EXPECT_NE(ws.received().find("origin_not_allowed"), std::string::npos);

  RawConnection allowed(server.port());
  allowed.send(kUpgrade + "Origin: http://localhost:5173\r\n\r\n");
  ASSERT_TRUE(allowed.read_until("\r\n\r\n", 5s));
  EXPECT_EQ(response_statuses(allowed.received()), std::vector<int>{101});
}

// A page on another site can have its name re-pointed at this machine (DNS
// rebinding) and read what it answers under that name; without keys, such
// a name is refused, over HTTP and WebSocket, unless the operator allows it.
TEST_F(Clients, WithoutKeysAnotherSitesNameIsRefusedUnlessAllowed) {
  HttpClient client(server.port());
  const auto made = client.request("POST", "/api/orders/execute", kOrder, {{"Content-Type", "application/json"}});
  ASSERT_EQ(made.status, 202) << made.body;
  const std::string id(made.json().at("orderId").as_string());
  const auto rebound = client.request("GET", "/api/orders/" + id, {}, {{"Host", "rebind.example:3000"}});
  EXPECT_EQ(rebound.status, 403);
  EXPECT_EQ(rebound.json().at("error").at("code"), "host_not_allowed");
  EXPECT_EQ(rebound.json().at("error").at("field"), "Host");
  EXPECT_EQ(rebound.body.find(id), std::string::npos);
  EXPECT_EQ(client.request("GET", "/api/events", {}, {{"Host", "rebind.example"}}).status, 403);
  EXPECT_EQ(client.request("GET", "/api/orders/" + id, {}, {{"Host", "localhost:3000"}}).status, 200);

  RawConnection ws(server.port());
  ws.send("GET /ws HTTP/1.1\r\nHost: rebind.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  ASSERT_TRUE(ws.read_until_closed(5s));
  EXPECT_EQ(response_statuses(ws.received()), std::vector<int>{403});
  EXPECT_NE(ws.received().find("host_not_allowed"), std::string::npos);

  server.terminate();
  ServerProcess allowing(dir.path() / "data2", {"--sim", "fast", "--allowed-host", "desk.example"});
  allowing.start();
  HttpClient desk(allowing.port());
  EXPECT_EQ(desk.request("GET", "/api/events", {}, {{"Host", "desk.example:3000"}}).status, 200);
  EXPECT_EQ(desk.request("GET", "/api/events", {}, {{"Host", "rebind.example:3000"}}).status, 403);
}

// curl, Node and other scripts send no Origin: CORS changes nothing for them.
TEST_F(Clients, ARequestWithoutAnOriginIsUnaffected) {
  HttpClient client(server.port());
  const auto r = client.post_json("/api/orders/execute", kOrder);
  EXPECT_EQ(r.status, 202);
  EXPECT_FALSE(has_cors_headers(r));
  WsClient ws(server.port(), "/ws");
  ws.send(R"({"type":"ping"})");
  EXPECT_TRUE(ws.read(5s));
}

TEST_F(Clients, TheOriginListIsTheOperatorsChoice) {
  server.terminate();
  ServerProcess listed(dir.path() / "data2", {"--sim", "fast", "--cors-origins", "https://app.example.com"});
  listed.start();
  HttpClient client(listed.port());
  const auto app = client.request("GET", "/health", {}, {{"Origin", "https://app.example.com"}});
  EXPECT_EQ(header(app, "Access-Control-Allow-Origin"), "https://app.example.com");
  const auto loopback = client.request("GET", "/health", {}, {{"Origin", "http://localhost:5173"}});
  EXPECT_FALSE(has_cors_headers(loopback));

  const auto bad = run({kServer, "--data-dir", (dir.path() / "data3").string(), "--cors-origins", "localhost:5173"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--cors-origins"), std::string::npos) << bad.err;
}

// The Rust service's scripts submit snake_case and read order_id.
TEST_F(Clients, TheAnswerToASubmitIsInTheSpellingOfItsBody) {
  HttpClient client(server.port());
  const auto snake = client.request(
      "POST", "/api/orders/execute", R"({"token_in":"SOL","token_out":"USDC","amount_in":1,"max_slippage":0.01})",
      {{"Content-Type", "application/json"}, {"Idempotency-Key", "snake-1"}});
  ASSERT_EQ(snake.status, 200) << "their clients take only 200 for an accepted order: " << snake.body;
  const auto snake_json = snake.json();
  const auto& body = snake_json.as_object();
  EXPECT_TRUE(body.contains("order_id"));
  EXPECT_FALSE(body.contains("orderId"));
  EXPECT_EQ(body.at("status"), "pending");

  const auto replay = client.request(
      "POST", "/api/orders/execute", R"({"token_in":"SOL","token_out":"USDC","amount_in":1,"max_slippage":0.01})",
      {{"Content-Type", "application/json"}, {"Idempotency-Key", "snake-1"}});
  ASSERT_EQ(replay.status, 200) << replay.body;
  EXPECT_EQ(replay.json().at("order_id"), body.at("order_id"));
  EXPECT_EQ(replay.json().at("idempotent_replay"), true);

  // Its service refused a max_slippage under 1%, and its clients count on that.
  const auto tight = client.post_json(
      "/api/orders/execute", R"({"token_in":"SOL","token_out":"USDC","amount":10,"order_type":"market","max_slippage":0.005})");
  EXPECT_EQ(tight.status, 400) << tight.body;
  EXPECT_EQ(tight.json().at("error").at("code").as_string(), "invalid_slippage") << tight.body;
  EXPECT_EQ(client.post_json("/api/orders/execute", R"({"tokenIn":"SOL","tokenOut":"USDC","amount":10,"slippage":0.005})")
                .status,
            202)
      << "oee's own spelling takes a tighter slippage";

  const auto camel = client.post_json("/api/orders/execute", R"({"tokenIn":"SOL","tokenOut":"USDC","amountIn":1})");
  ASSERT_EQ(camel.status, 202) << camel.body;
  const auto camel_json = camel.json();
  EXPECT_TRUE(camel_json.as_object().contains("orderId"));
  EXPECT_FALSE(camel_json.as_object().contains("order_id"));

  // The Node service's clients mix the two and read orderId.
  const auto mixed =
      client.post_json("/api/orders/execute", R"({"tokenIn":"SOL","tokenOut":"USDC","amount":1,"max_slippage":0.05})");
  ASSERT_EQ(mixed.status, 202) << mixed.body;
  EXPECT_TRUE(mixed.json().as_object().contains("orderId"));
}

// Reference client 003 sends amount = Math.random() * 20 + 1 and slippages
// with 18 decimals: JSON numbers are rounded toward its safety and the
// answer says what was used, as numbers to a client that sent numbers.
TEST_F(Clients, JsonNumbersAreRoundedSafelyAndTheAnswerSaysWhatWasUsed) {
  HttpClient client(server.port());
  const auto numbers = client.post_json(
      "/api/orders/execute",
      R"({"inputToken":"SOL","outputToken":"USDC","amount":13.456789012345678,"slippage":0.012345678901234567})");
  ASSERT_EQ(numbers.status, 202) << numbers.body;
  EXPECT_NE(numbers.body.find("\"amount\":13.456789012"), std::string::npos) << numbers.body;
  EXPECT_NE(numbers.body.find("\"slippage\":0.0123"), std::string::npos) << numbers.body;
  const std::string id(numbers.json().at("orderId").as_string());
  ASSERT_TRUE(eventually([&] { return client.get("/api/orders/" + id).json().at("terminal").as_bool(); }, 20s));
  const auto events = client.get("/api/orders/" + id + "/events").json().at("events").as_array();
  EXPECT_EQ(events.front().at("amountIn").as_string(), "13.456789012") << "what the log holds";
  EXPECT_EQ(events.front().at("slippage").as_string(), "0.0123");

  const auto strings =
      client.post_json("/api/orders/execute", R"({"inputToken":"SOL","outputToken":"USDC","amount":"2.5"})");
  ASSERT_EQ(strings.status, 202) << strings.body;
  EXPECT_EQ(strings.json().at("amount").as_string(), "2.5");
  EXPECT_EQ(strings.json().at("slippage").as_string(), "0.005") << "the default, as used";
  // A decimal string is exact: more decimals than the token has is refused.
  EXPECT_EQ(client.post_json("/api/orders/execute",
                             R"({"inputToken":"SOL","outputToken":"USDC","amount":"13.4567890123"})")
                .status,
            400);
}

// The Rust service's scripts open the submit path without ?orderId and
// send the order id as a text frame.
TEST_F(Clients, TheSubmitPathWithoutAnOrderIdFollowsEachIdSentAsAText) {
  HttpClient client(server.port());
  const auto submitted = client.post_json("/api/orders/execute", kOrder);
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  const std::string id(submitted.json().at("orderId").as_string());
  WsClient ws(server.port(), "/api/orders/execute");
  ws.send(id);
  std::vector<std::string> statuses;
  while (statuses.empty() || statuses.back() != "confirmed") {
    const auto text = ws.read(10s);
    ASSERT_TRUE(text) << "the stream ended after " << statuses.size() << " statuses";
    const auto m = boost::json::parse(*text).as_object();
    if (!m.contains("status")) continue;  // an acknowledgement
    EXPECT_EQ(m.at("orderId").as_string(), id);
    statuses.emplace_back(m.at("status").as_string());
  }
  EXPECT_EQ(statuses, (std::vector<std::string>{"pending", "routing", "building", "submitted", "confirmed"}));
}

TEST_F(Clients, TheDlqDashboardsListIsTheDeadLetterList) {
  server.terminate();
  ServerProcess failing(dir.path() / "failing", {"--sim", "fast", "--fail-rate", "1"});
  failing.start();
  HttpClient client(failing.port());
  ASSERT_EQ(client.post_json("/api/orders/execute", kOrder).status, 202);
  ASSERT_TRUE(eventually([&] { return client.get("/api/dlq").json().at("count") == 1; }, 20s));
  const auto alias = client.get("/api/dlq/failed-orders");
  EXPECT_EQ(alias.status, 200);
  EXPECT_EQ(alias.json(), client.get("/api/dlq").json());
}

// A client of the reference services asks for no subprotocol: on every
// WebSocket path it gets status messages only, each with a string status,
// the snake_case names it reads, and amounts and prices as numbers.
TEST_F(Clients, ACompatClientGetsStatusMessagesOnlyOnEveryPath) {
  HttpClient client(server.port());
  struct Path {
    std::string target;
    std::string send;  // what the client sends after connecting, {} for nothing
  };
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) {
    const auto r = client.post_json("/api/orders/execute", kOrder);
    ASSERT_EQ(r.status, 202) << r.body;
    ids.emplace_back(r.json().at("orderId").as_string());
  }
  const std::vector<Path> paths{
      {"/ws", R"({"type":"subscribe","orderId":")" + ids[0] + "\"}"},
      {"/ws?orderId=" + ids[1], {}},
      {"/api/orders/execute?orderId=" + ids[2], {}},
      {"/api/orders/execute", ids[3]},
      {"/order/" + ids[4], {}},
      {"/api/orders/status", ids[5]},
  };
  for (std::size_t i = 0; i < paths.size(); ++i) {
    SCOPED_TRACE(paths[i].target);
    WsClient ws(server.port(), paths[i].target, 0, Dialect::compat);
    EXPECT_EQ(ws.subprotocol(), "");
    if (!paths[i].send.empty()) ws.send(paths[i].send);
    ws.send(R"({"type":"ping"})");  // no pong in this dialect
    std::vector<std::string> statuses;
    while (statuses.empty() || statuses.back() != "confirmed") {
      const auto text = ws.read(10s);
      ASSERT_TRUE(text) << "the stream ended after " << statuses.size() << " messages";
      const auto m = boost::json::parse(*text).as_object();
      ASSERT_FALSE(m.contains("type")) << "a control message: " << *text;
      ASSERT_TRUE(m.at("status").is_string()) << *text;
      EXPECT_EQ(m.at("orderId").as_string(), ids[i]);
      EXPECT_EQ(m.at("order_id").as_string(), ids[i]);
      // Seed client 004 prints update.id and update.timestamp.
      EXPECT_EQ(m.at("id").as_string(), ids[i]);
      const std::string timestamp(m.at("timestamp").as_string());
      EXPECT_EQ(timestamp.size(), 24u) << timestamp;  // 2026-11-25T20:05:00.123Z
      EXPECT_EQ(timestamp.back(), 'Z') << timestamp;
      statuses.emplace_back(m.at("status").as_string());
      if (statuses.back() == "confirmed") {
        EXPECT_TRUE(m.at("executedPrice").is_number()) << *text;
        EXPECT_TRUE(m.at("execution_price").is_number()) << *text;
        EXPECT_TRUE(m.at("amountOut").is_number()) << *text;
        EXPECT_TRUE(m.at("amount_out").is_number()) << *text;
        EXPECT_EQ(m.at("tx_hash"), m.at("txHash"));
      }
    }
    EXPECT_EQ(statuses, (std::vector<std::string>{"pending", "routing", "building", "submitted", "confirmed"}));
  }
}

TEST_F(Clients, AnErrorInTheCompatDialectIsAStatusMessage) {
  WsClient ws(server.port(), "/api/orders/status", 0, Dialect::compat);
  ws.send("00000000-0000-4000-8000-000000000000");
  const auto text = ws.read(5s);
  ASSERT_TRUE(text);
  const auto m = boost::json::parse(*text).as_object();
  EXPECT_EQ(m.at("status"), "error");
  EXPECT_EQ(m.at("orderId"), "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(m.at("error").at("code"), "not_found");
}

// oee's own clients ask for oee.v1: acknowledgements, and exact strings.
TEST_F(Clients, AnOeeV1ClientStillGetsAcknowledgementsAndStrings) {
  HttpClient client(server.port());
  const auto r = client.post_json("/api/orders/execute", kOrder);
  ASSERT_EQ(r.status, 202);
  const std::string id(r.json().at("orderId").as_string());
  WsClient ws(server.port(), "/ws", 0, Dialect::v1);
  EXPECT_EQ(ws.subprotocol(), "oee.v1");
  ws.send(R"({"type":"subscribe","orderId":")" + id + "\"}");
  const auto ack = ws.read(5s);
  ASSERT_TRUE(ack);
  EXPECT_EQ(boost::json::parse(*ack).at("type"), "subscribed");
  for (;;) {
    const auto text = ws.read(10s);
    ASSERT_TRUE(text);
    const auto m = boost::json::parse(*text).as_object();
    EXPECT_FALSE(m.contains("order_id")) << "no snake_case names in oee.v1";
    if (m.at("status") == "confirmed") {
      EXPECT_TRUE(m.at("executedPrice").is_string());
      break;
    }
  }
}

// The reference services' defaults oee does not adopt (docs/clients.md):
// each is refused with its reason, and nothing is taken.
TEST_F(Clients, TheReferenceDefaultsThatLoseMoneyAreRefused) {
  HttpClient client(server.port());
  const auto no_tokens = client.post_json("/api/orders/execute", R"({"amount":1})");
  EXPECT_EQ(no_tokens.status, 400);
  EXPECT_EQ(no_tokens.json().at("error").at("code"), "missing_field");
  EXPECT_EQ(no_tokens.json().at("error").at("field"), "inputToken");
  const auto whole = client.post_json("/api/orders/execute",
                                      R"({"inputToken":"SOL","outputToken":"USDC","amount":1,"slippage":1.0})");
  EXPECT_EQ(whole.status, 400);
  EXPECT_EQ(whole.json().at("error").at("code"), "invalid_slippage");
  EXPECT_EQ(client.get("/health").json().at("log").at("head"), 0) << "a refused order must not be in the log";
  EXPECT_EQ(client.post_json("/api/orders/execute", kOrder).status, 202) << "accepted, not done: 202";
}

// A reference service's own client (its live-test script and Postman
// collection) submits "a market order for 50 SOL" as {"amount": 50} and
// follows it on /ws?orderId= without a subprotocol. oee guesses no pair;
// with --default-pair SOL/USDC the operator has said which, and the
// client works unchanged.
const std::string kAmountOnly = R"({ "amount": 50 })";

TEST_F(Clients, AnOrderThatNamesNoTokenIsRefusedWithoutADefaultPair) {
  HttpClient client(server.port());
  const auto refused = client.post_json("/api/orders/execute", kAmountOnly);
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_EQ(refused.json().at("error").at("code"), "missing_field");
  EXPECT_EQ(refused.json().at("error").at("field"), "inputToken");
  EXPECT_FALSE(client.get("/health").json().as_object().contains("defaultPair"));
  EXPECT_EQ(client.get("/health").json().at("log").at("head"), 0);
}

TEST_F(Clients, WithADefaultPairTheReferenceClientsAmountOnlyOrderTradesItToTheEnd) {
  server.terminate();
  ServerProcess paired(dir.path() / "paired", {"--sim", "fast", "--default-pair", "SOL/USDC"});
  paired.start();
  HttpClient client(paired.port());
  const auto submitted = client.post_json("/api/orders/execute", kAmountOnly);
  ASSERT_EQ(submitted.status, 202) << submitted.body;
  const auto answer = submitted.json();
  EXPECT_EQ(answer.at("inputToken"), "SOL") << "the answer names the pair it trades";
  EXPECT_EQ(answer.at("outputToken"), "USDC");
  EXPECT_EQ(answer.at("amount"), 50);
  EXPECT_EQ(answer.at("slippage").as_double(), 0.005) << "oee's default";
  const std::string id(answer.at("orderId").as_string());

  WsClient ws(paired.port(), "/ws?orderId=" + id, 0, Dialect::compat);
  EXPECT_EQ(ws.subprotocol(), "");
  std::vector<std::string> statuses;
  while (statuses.empty() || statuses.back() != "confirmed") {
    const auto text = ws.read(10s);
    ASSERT_TRUE(text) << "the stream ended after " << ::testing::PrintToString(statuses);
    const auto m = boost::json::parse(*text).as_object();
    ASSERT_TRUE(m.at("status").is_string()) << *text;
    EXPECT_EQ(m.at("orderId").as_string(), id);
    statuses.emplace_back(m.at("status").as_string());
    ASSERT_NE(statuses.back(), "failed") << *text;
  }
  EXPECT_EQ(statuses.front(), "pending");
  const auto order = client.get("/api/orders/" + id).json();
  EXPECT_EQ(order.at("inputToken"), "SOL");
  EXPECT_EQ(order.at("outputToken"), "USDC");
  EXPECT_EQ(order.at("status"), "confirmed");

  // It is the order that names the pair: one Idempotency-Key takes either.
  const std::map<std::string, std::string> keyed{{"Content-Type", "application/json"}, {"Idempotency-Key", "pair-1"}};
  const auto first = client.request("POST", "/api/orders/execute", R"({"amount":"2"})", keyed);
  ASSERT_EQ(first.status, 202) << first.body;
  const auto named =
      client.request("POST", "/api/orders/execute", R"({"inputToken":"SOL","outputToken":"USDC","amount":"2"})", keyed);
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(named.json().at("orderId"), first.json().at("orderId"));
  EXPECT_EQ(named.json().at("idempotentReplay"), true);

  // Half a pair is a client that meant another one: still refused.
  const auto half = client.post_json("/api/orders/execute", R"({"inputToken":"SOL","amount":50})");
  EXPECT_EQ(half.status, 400) << half.body;
  EXPECT_EQ(half.json().at("error").at("code"), "missing_field");
  EXPECT_EQ(half.json().at("error").at("field"), "outputToken");
  // Named tokens are the order's; a snake_case body is answered in its spelling.
  const auto snake = client.post_json("/api/orders/execute", R"({"amount_in":1})");
  ASSERT_EQ(snake.status, 200) << snake.body;
  EXPECT_EQ(snake.json().at("token_in"), "SOL");
  EXPECT_EQ(snake.json().at("token_out"), "USDC");
  const auto reverse = client.post_json("/api/orders/execute", R"({"tokenIn":"USDC","tokenOut":"SOL","amount":10})");
  ASSERT_EQ(reverse.status, 202) << reverse.body;
  EXPECT_EQ(reverse.json().at("inputToken"), "USDC");
  EXPECT_EQ(reverse.json().at("outputToken"), "SOL");

  // The WebSocket's submit is the same route.
  WsClient v1(paired.port(), "/ws", 0, Dialect::v1);
  v1.send(R"({"type":"submit","requestId":"r-1","order":{"amount":1}})");
  const auto accepted_text = v1.read(10s);
  ASSERT_TRUE(accepted_text);
  const auto accepted = boost::json::parse(*accepted_text);
  EXPECT_EQ(accepted.at("type"), "accepted") << *accepted_text;
  EXPECT_EQ(accepted.at("inputToken"), "SOL") << *accepted_text;
  EXPECT_EQ(accepted.at("outputToken"), "USDC") << *accepted_text;

  EXPECT_EQ(client.get("/health").json().at("defaultPair"), "SOL/USDC") << "the dashboard's form starts on it";
}

TEST_F(Clients, ADefaultPairThatCannotTradeStopsTheServerBeforeItStarts) {
  for (const auto& [pair, says] : {std::pair{"SOL/NOPE", "unknown token 'NOPE'"}, std::pair{"SOL", "IN/OUT"},
                                   std::pair{"SOL/USDC/X", "IN/OUT"}, std::pair{"USDC/usdc", "twice"}}) {
    SCOPED_TRACE(pair);
    const auto bad = run({kServer, "--data-dir", (dir.path() / "refused").string(), "--port", "0", "--default-pair", pair});
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.err.find("--default-pair"), std::string::npos) << bad.err;
    EXPECT_NE(bad.err.find(says), std::string::npos) << bad.err;
  }
}

TEST_F(Clients, TheRootSaysWhichServiceAndVersionAnswers) {
  HttpClient client(server.port());
  const auto root = client.get("/");
  ASSERT_EQ(root.status, 200);
  EXPECT_EQ(root.json().at("service"), "oee");
  EXPECT_EQ(root.json().at("status"), "ok");
  EXPECT_FALSE(root.json().at("version").as_string().empty());
}

}  // namespace
}  // namespace oee::e2e
