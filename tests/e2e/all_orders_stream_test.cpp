// The stream of every order ({"type":"subscribe","all":true}) and its REST
// twin GET /api/events, with the real server: every event of every order
// once and in order, live and from a fromSeq, on the core and on a gateway,
// and an API key's stream holding its own orders only.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include <boost/json.hpp>

#include "harness.h"
#include "order_reads.h"
#include "stream_fleet.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using Headers = std::map<std::string, std::string>;

// Status messages read from `ws` until every order in `ids` has its
// terminal one (or the deadline passes), by order. Control messages are
// collected apart.
struct Received {
  std::map<std::string, std::vector<std::string>> by_order;  // message texts
  std::vector<json::object> controls;
  std::vector<StreamAt> at;  // each status message's place, in arrival order
};

Received read_until_terminal(WsClient& ws, const std::set<std::string>& ids, std::chrono::milliseconds timeout = 20s) {
  Received got;
  std::set<std::string> open = ids;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!open.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto text = ws.read(left);
    if (!text) break;
    const auto parsed = json::parse(*text);
    const auto& message = parsed.as_object();
    if (message.contains("type")) {
      got.controls.push_back(message);
      continue;
    }
    const std::string id(message.at("orderId").as_string());
    got.by_order[id].push_back(*text);
    got.at.push_back(stream_at(parsed));
    if (message.contains("terminal") && message.at("terminal") == true) open.erase(id);
  }
  return got;
}

// What the core holds for an order, as the exact message texts.
std::vector<std::string> core_messages(HttpClient& core, const std::string& id, const Headers& headers = {}) {
  std::vector<std::string> out;
  const auto res = core.request("GET", "/api/orders/" + id + "/events", {}, headers);
  EXPECT_EQ(res.status, 200) << res.body;
  if (res.status != 200) return out;
  const auto body = res.json();
  for (const auto& e : body.at("events").as_array()) out.push_back(json::serialize(e));
  return out;
}

std::set<std::string> as_set(const std::vector<std::string>& v) { return {v.begin(), v.end()}; }

// Every order's full history, exactly as the core holds it, and the stream
// in (seq, event) order across every order, no message twice (an API key's
// too): a record's several messages share its seq, no two the same event.
void expect_exact_histories(HttpClient& core, const Received& got, const std::set<std::string>& ids,
                            const Headers& headers = {}) {
  EXPECT_EQ(got.by_order.size(), ids.size());
  for (const auto& id : ids) {
    auto it = got.by_order.find(id);
    ASSERT_NE(it, got.by_order.end()) << "nothing of " << id;
    EXPECT_EQ(it->second, core_messages(core, id, headers)) << id;
  }
  for (std::size_t i = 1; i < got.at.size(); ++i) {
    EXPECT_GT(got.at[i], got.at[i - 1]) << "message " << i << " (seq " << got.at[i].seq
                                        << "): a repeat or a step back";
  }
}

json::object next_control(WsClient& ws, std::chrono::milliseconds timeout = 10s) {
  for (;;) {
    auto text = ws.read(timeout);
    if (!text) return {};
    auto message = json::parse(*text).as_object();
    if (message.contains("type")) return message;
  }
}

TEST(AllOrdersStream, LiveSubscriberGetsEveryEventOfEveryOrderOnceInOrder) {
  TempDir dir;
  ServerProcess server(dir.path(), {"--sim-latency-scale", "0.05", "--fail-rate", "0.2"});
  server.start();
  WsClient ws(server.port(), "/ws");
  ws.send(R"({"type":"subscribe","all":true})");
  const auto ack = next_control(ws);
  ASSERT_EQ(ack.at("type"), "subscribed") << json::serialize(ack);
  EXPECT_EQ(ack.at("all"), true);

  HttpClient client(server.port());
  const auto ids = as_set(submit_orders(client, 40));
  const auto got = read_until_terminal(ws, ids);
  expect_exact_histories(client, got, ids);
}

TEST(AllOrdersStream, FromSeqReplaysThePastThenGoesLiveWithoutGapOrRepeat) {
  TempDir dir;
  ServerProcess server(dir.path(), {"--sim-latency-scale", "0.05"});
  server.start();
  HttpClient client(server.port());
  const auto before = submit_orders(client, 30);
  // Some of these are still running when the subscription starts.
  WsClient ws(server.port(), "/ws");
  ws.send(R"({"type":"subscribe","all":true,"fromSeq":1})");
  const auto after = submit_orders(client, 30);
  std::set<std::string> ids = as_set(before);
  ids.insert(after.begin(), after.end());
  const auto got = read_until_terminal(ws, ids);
  ASSERT_FALSE(got.controls.empty());
  EXPECT_EQ(got.controls.front().at("type"), "subscribed");
  EXPECT_EQ(got.controls.front().at("fromSeq"), 1);
  expect_exact_histories(client, got, ids);
  ASSERT_FALSE(got.at.empty());
  EXPECT_EQ(got.at.front().seq, 1u);
}

TEST(AllOrdersStream, AFromSeqOlderThanAPageStartsAtTheNewestPageAndSaysWhere) {
  TempDir dir;
  ServerProcess server(dir.path(), {"--sim", "fast"});
  server.start();
  HttpClient client(server.port());
  // Three records each (submitted, routedAndSent, confirmed): over 10,000.
  const auto ids = submit_orders(client, 3334);
  ASSERT_TRUE(reaches(client, ids.back(), "confirmed", 60s));
  const auto head = client.get("/health").json().at("log").at("head").to_number<std::uint64_t>();
  ASSERT_GT(head, 10'000u);
  const std::uint64_t first = head - 10'000 + 1;
  // A page is 10,000 records, each with its every message (a routedAndSent
  // is three): the REST twin's page from the same seq holds them.
  const auto page = client.get("/api/events?limit=10000&fromSeq=" + std::to_string(first)).json();
  ASSERT_EQ(page.at("next").to_number<std::uint64_t>(), head + 1);
  const auto& want = page.at("events").as_array();
  ASSERT_GT(want.size(), 10'000u);

  WsClient ws(server.port(), "/ws");
  ws.send(R"({"type":"subscribe","all":true,"fromSeq":1})");
  const auto ack = next_control(ws);
  ASSERT_EQ(ack.at("type"), "subscribed") << json::serialize(ack);
  EXPECT_EQ(ack.at("fromSeq").to_number<std::uint64_t>(), first);
  // The whole page arrives, though it is ten times the outgoing queue: its
  // records' seqs one after another from `first`, each record's messages in
  // order, each once, as the REST page has them.
  std::size_t received = 0;
  std::uint64_t records = 0;
  StreamAt last{};
  while (received < want.size()) {
    auto text = ws.read(10s);
    if (!text) break;
    const auto m = json::parse(*text);
    const auto at = stream_at(m);
    ASSERT_GT(at, last) << "message " << received << ": a repeat or a step back";
    if (at.seq != last.seq) {
      ASSERT_EQ(at.seq, first + records) << "a record missing";
      ++records;
    }
    ASSERT_EQ(at, stream_at(want[received])) << "message " << received;
    ASSERT_EQ(m.at("event"), want[received].at("event")) << "message " << received;
    last = at;
    ++received;
  }
  EXPECT_EQ(received, want.size());
  EXPECT_EQ(records, 10'000u);
}

TEST(AllOrdersStream, EventsPagesEveryOrdersEventsAndRefusesBadParameters) {
  TempDir dir;
  ServerProcess server(dir.path(), {"--sim", "fast"});
  server.start();
  HttpClient client(server.port());
  const auto ids = submit_orders(client, 20);
  ASSERT_TRUE(reaches(client, ids.back(), "confirmed", 20s));
  ASSERT_TRUE(all_finish(client, ids));  // each history whole before the pages are read
  const auto head = client.get("/health").json().at("log").at("head").to_number<std::uint64_t>();

  // A limit counts records; a page holds each of its records' every message
  // (a routedAndSent shows as three).
  std::vector<StreamAt> at;  // every message's place, page after page
  std::map<std::string, std::vector<std::string>> by_order;
  std::uint64_t from = 1;
  for (int pages = 0; from <= head; ++pages) {
    ASSERT_LT(pages, 100);
    const auto res = client.get("/api/events?limit=7&fromSeq=" + std::to_string(from));
    ASSERT_EQ(res.status, 200) << res.body;
    const auto body = res.json();
    EXPECT_EQ(body.at("first").to_number<std::uint64_t>(), from);
    std::set<std::uint64_t> records;
    for (const auto& e : body.at("events").as_array()) {
      at.push_back(stream_at(e));
      records.insert(e.at("seq").to_number<std::uint64_t>());
      by_order[std::string(e.at("orderId").as_string())].push_back(json::serialize(e));
    }
    EXPECT_LE(records.size(), 7u);
    from = body.at("next").to_number<std::uint64_t>();
  }
  // Every record once, seqs 1 to head one after another, its messages in
  // order, none twice...
  ASSERT_FALSE(at.empty());
  EXPECT_EQ(at.front().seq, 1u);
  EXPECT_EQ(at.back().seq, head);
  for (std::size_t i = 1; i < at.size(); ++i) {
    EXPECT_GT(at[i], at[i - 1]) << "message " << i << ": a repeat or a step back";
    EXPECT_LE(at[i].seq, at[i - 1].seq + 1) << "message " << i << ": a record missing";
  }
  // ...and whole: each order's messages across the pages are its history.
  EXPECT_EQ(by_order.size(), ids.size());
  for (const auto& id : ids) EXPECT_EQ(by_order[id], core_messages(client, id)) << id;

  const auto newest = client.get("/api/events?newest=true&limit=5").json();
  std::set<std::uint64_t> newest_records;
  for (const auto& e : newest.at("events").as_array()) newest_records.insert(e.at("seq").to_number<std::uint64_t>());
  ASSERT_EQ(newest_records.size(), 5u) << "the last 5 records, with their every message";
  EXPECT_EQ(*newest_records.begin(), head - 4);
  EXPECT_EQ(newest.at("events").as_array().back().at("seq").to_number<std::uint64_t>(), head);
  EXPECT_EQ(newest.at("next").to_number<std::uint64_t>(), head + 1);

  for (const char* bad : {"/api/events?fromSeq=-1", "/api/events?limit=0", "/api/events?limit=10001",
                                 "/api/events?newest=yes", "/api/events?fromSeq=1&fromSeq=2"}) {
    const auto res = client.get(bad);
    EXPECT_EQ(res.status, 400) << bad << " " << res.body;
    EXPECT_TRUE(res.json().at("error").as_object().contains("code")) << bad;
  }
}

TEST(AllOrdersStream, BadAllSubscriptionsAreRefusedAndTheSessionStays) {
  TempDir dir;
  ServerProcess server(dir.path(), {"--sim", "fast"});
  server.start();
  WsClient ws(server.port(), "/ws");
  for (const std::string& bad :
       {std::string(R"({"type":"subscribe","all":"yes"})"),
        std::string(R"({"type":"subscribe","all":true,"orderId":"00000000-0000-4000-8000-000000000000"})"),
        std::string(R"({"type":"subscribe","all":true,"fromSeq":-3})"), std::string(R"({"type":"subscribe","all":false})")}) {
    ws.send(bad);
    const auto reply = next_control(ws);
    ASSERT_EQ(reply.at("type"), "error") << bad;
    EXPECT_TRUE(reply.at("error").as_object().contains("code")) << bad;
  }
  ws.send(R"({"type":"subscribe","all":true})");
  EXPECT_EQ(next_control(ws).at("type"), "subscribed");
  ws.send(R"({"type":"unsubscribe","all":true})");
  const auto gone = next_control(ws);
  EXPECT_EQ(gone.at("type"), "unsubscribed");
  // Unsubscribed: an order's events no longer come.
  HttpClient client(server.port());
  submit_orders(client, 1);
  ws.send(R"({"type":"ping"})");
  auto text = ws.read(5s);
  ASSERT_TRUE(text);
  EXPECT_EQ(json::parse(*text).at("type"), "pong") << *text;
}

// Whether a WebSocket upgrade to `target` is accepted (a gateway refuses a
// key it has not learnt yet).
bool upgrade_ok(unsigned short port, const std::string& target) {
  RawConnection c(port);
  c.send("GET " + target +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  c.read_until("\r\n\r\n", 5s);
  const auto statuses = response_statuses(c.received());
  return !statuses.empty() && statuses.front() == 101;
}

struct ApiKey {
  std::string id;
  std::string secret;
};

Headers bearer(const std::string& key) {
  return {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + key}};
}

ApiKey create_key(HttpClient& client, const std::string& admin) {
  const auto res = client.request("POST", "/api/keys", R"({"name":"desk","scopes":["orders:read","orders:write"]})",
                                  bearer(admin));
  EXPECT_EQ(res.status, 201) << res.body;
  const auto body = res.json();
  return {std::string(body.at("id").as_string()), std::string(body.at("key").as_string())};
}

std::set<std::string> submit_as(HttpClient& client, const std::string& key, int count) {
  std::set<std::string> ids;
  for (int i = 0; i < count; ++i) {
    const auto res = client.request("POST", "/api/orders/execute", order_body(), bearer(key));
    EXPECT_EQ(res.status, 202) << res.body;
    ids.insert(std::string(res.json().at("orderId").as_string()));
  }
  return ids;
}

// On the core and on a gateway, live and from fromSeq: a key's stream of
// every order holds its own orders, all of each, and nobody else's.
TEST(AllOrdersStream, AnApiKeySeesItsOwnOrdersOnlyOnTheCoreAndOnAGateway) {
  const auto admin = random_admin_key();
  StreamFleet fleet(1, {"--admin-key", admin, "--sim-latency-scale", "0.05"}, {"--admin-key", admin});
  const ServerProcess& core = fleet.core;
  const ServerProcess& gateway = *fleet.gateway[0];
  HttpClient client(core.port());
  const auto alice = create_key(client, admin);
  const auto bob = create_key(client, admin);
  const auto alice_before = submit_as(client, alice.secret, 10);
  submit_as(client, bob.secret, 10);

  WsClient on_core(core.port(), "/ws?access_token=" + alice.secret);
  on_core.send(R"({"type":"subscribe","all":true,"fromSeq":1})");
  // The gateway learns keys from the core: wait until it knows Alice's.
  ASSERT_TRUE(eventually([&] { return upgrade_ok(gateway.port(), "/ws?access_token=" + alice.secret); }, 20s));
  WsClient on_gateway(gateway.port(), "/ws?access_token=" + alice.secret);
  on_gateway.send(R"({"type":"subscribe","all":true,"fromSeq":1})");
  ASSERT_EQ(next_control(on_gateway).at("type"), "subscribed");

  auto alice_ids = alice_before;
  for (int round = 0; round < 3; ++round) {
    const auto more = submit_as(client, alice.secret, 5);
    alice_ids.insert(more.begin(), more.end());
    submit_as(client, bob.secret, 5);
  }
  for (WsClient* ws : {&on_core, &on_gateway}) {
    const auto got = read_until_terminal(*ws, alice_ids, 30s);
    expect_exact_histories(client, got, alice_ids, bearer(alice.secret));
  }
  // Bob's are not hidden behind a slow stream: after the last of Bob's
  // finished, Alice's next order is the next thing each stream carries.
  const auto last = submit_as(client, alice.secret, 1);
  for (WsClient* ws : {&on_core, &on_gateway}) {
    const auto got = read_until_terminal(*ws, last, 20s);
    EXPECT_EQ(got.by_order.size(), 1u);
    EXPECT_EQ(got.by_order.count(*last.begin()), 1u);
  }

  // The REST twin: Alice's page holds her events only; the admin's, all.
  const auto mine = client.request("GET", "/api/events?limit=10000", {}, bearer(alice.secret)).json();
  std::set<std::string> seen;
  for (const auto& e : mine.at("events").as_array()) seen.insert(std::string(e.at("orderId").as_string()));
  alice_ids.insert(*last.begin());
  EXPECT_EQ(seen, alice_ids);
  const auto all = client.request("GET", "/api/events?limit=10000", {}, bearer(admin)).json();
  EXPECT_GT(all.at("events").as_array().size(), mine.at("events").as_array().size());
}

// An order followed on its own and through every order on the same socket
// comes once, through its own subscription.
TEST(AllOrdersStream, AnOrderAlsoFollowedOnItsOwnComesOnce) {
  TempDir dir;
  ServerProcess server(dir.path(), {"--sim", "fast"});
  server.start();
  HttpClient client(server.port());
  const auto ids = submit_orders(client, 5);
  ASSERT_TRUE(reaches(client, ids.back(), "confirmed", 20s));
  WsClient ws(server.port(), "/ws");
  ws.send(R"({"type":"subscribe","orderId":")" + ids[2] + R"(","fromSeq":1})");
  ASSERT_EQ(next_control(ws).at("type"), "subscribed");
  ws.send(R"({"type":"subscribe","all":true,"fromSeq":1})");
  const auto got = read_until_terminal(ws, as_set(ids));
  for (const auto& id : ids) EXPECT_EQ(got.by_order.at(id), core_messages(client, id)) << id;
}

// A gateway's subscribers to every order, one live and one from seq 1, get
// every event once, in seq order, before, during and after the gateway loses
// Redis (it fetches what it missed from the core); the live one gets nothing
// from before its subscription.
TEST(AllOrdersStream, AGatewayThatLosesRedisStillGivesEverySubscriberEveryEventOnce) {
  StreamFleet fleet(1, {"--sim-latency-scale", "0.3"}, {}, true);
  auto& redis = fleet.redis;
  const ServerProcess& gateway = *fleet.gateway[0];
  HttpClient client(fleet.core.port());
  HttpClient gw_http(gateway.port());
  const auto earlier = submit_orders(client, 10);
  ASSERT_TRUE(all_finish(client, earlier));
  ASSERT_TRUE(fleet.gateways_caught_up());

  WsClient live(gateway.port(), "/ws");
  live.send(R"({"type":"subscribe","all":true})");
  ASSERT_EQ(next_control(live).at("type"), "subscribed");
  WsClient past(gateway.port(), "/ws");
  past.send(R"({"type":"subscribe","all":true,"fromSeq":1})");

  auto ids = as_set(submit_orders(client, 20));
  redis.command("ACL SETUSER gw off");
  redis.command("CLIENT KILL USER gw");
  ASSERT_TRUE(eventually([&] { return gw_http.get("/health").json().at("redis").at("status") == "down"; }, 10s));
  const auto more = submit_orders(client, 20);  // published while the gateway is away
  ids.insert(more.begin(), more.end());
  redis.command("ACL SETUSER gw on");
  const auto last = submit_orders(client, 1);
  ids.insert(last.begin(), last.end());

  // The earlier orders had finished: a live subscription gets none of them.
  expect_exact_histories(client, read_until_terminal(live, ids, 40s), ids);

  std::set<std::string> every = as_set(earlier);
  every.insert(ids.begin(), ids.end());
  expect_exact_histories(client, read_until_terminal(past, every, 40s), every);
  EXPECT_GE(metric_value(gw_http.get("/metrics").body, "oee_gateway_resyncs_total"), 2);
}

}  // namespace
}  // namespace oee::e2e
