// The live stream across processes: a core publishing to a real Redis, and
// gateways (no log of their own) serving WebSocket subscribers from Redis,
// with catch-up from the core. Every subscriber must get its orders' full
// lifecycles once, in order, through catch-up/live boundaries, Redis
// outages and reconnects, with the same bytes the core would send.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/json.hpp>

#include "harness.h"
#include "redis_server.h"
#include "stream_fleet.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// A status message's step, (seq, event): one record's messages (a
// routedAndSent's routingStarted, routed, txSubmitted) share its seq.
using Step = std::pair<std::uint64_t, std::string>;
Step step_of(const std::string& text) {
  const auto m = json::parse(text);
  return {m.at("seq").to_number<std::uint64_t>(), std::string(m.at("event").as_string())};
}

// What the core holds for an order, as the exact message texts.
std::vector<std::string> core_messages(HttpClient& core, const std::string& id) {
  std::vector<std::string> out;
  const auto res = core.get("/api/orders/" + id + "/events");
  if (res.status != 200) return out;
  const auto body = res.json();
  for (const auto& e : body.at("events").as_array()) out.push_back(json::serialize(e));
  return out;
}

// One subscriber thread: submits its orders to the core, subscribes to each
// on `ws_port` right after the POST, and reads until all are terminal.
struct Follower {
  std::vector<std::string> ids;
  std::map<std::string, std::vector<std::string>> received;  // order -> status messages
  std::string error;
};

void follow(unsigned short core_port, unsigned short ws_port, int orders, Follower& f,
            const std::function<void()>& after_submit = {}) {
  try {
    HttpClient http(core_port);
    WsClient ws(ws_port, "/ws");
    for (int i = 0; i < orders; ++i) {
      const auto res = http.post_json("/api/orders/execute", order_body());
      if (res.status != 202) throw std::runtime_error("submit answered " + std::to_string(res.status));
      f.ids.emplace_back(res.json().at("orderId").as_string());
      ws.send(R"({"type":"subscribe","orderId":")" + f.ids.back() + "\"}");
    }
    if (after_submit) after_submit();
    std::size_t terminal = 0;
    while (terminal < f.ids.size()) {
      auto text = ws.read(60s);
      if (!text) throw std::runtime_error("stream stalled with " + std::to_string(terminal) + " of " +
                                          std::to_string(f.ids.size()) + " orders terminal");
      const auto v = json::parse(*text).as_object();
      if (v.contains("type")) {
        if (v.at("type") != "subscribed") throw std::runtime_error("unexpected control message " + *text);
        continue;
      }
      f.received[std::string(v.at("orderId").as_string())].push_back(*text);
      if (v.contains("terminal")) ++terminal;
    }
  } catch (const std::exception& e) {
    f.error = e.what();
  }
}

// Each order's stream equals the core's record of it, byte for byte.
void expect_complete(HttpClient& core, const std::vector<Follower>& followers) {
  int checked = 0;
  for (const auto& f : followers) {
    ASSERT_EQ(f.error, "");
    for (const auto& id : f.ids) {
      const auto want = core_messages(core, id);
      ASSERT_GE(want.size(), 5u) << id;
      auto it = f.received.find(id);
      ASSERT_NE(it, f.received.end()) << "nothing received for " << id;
      ASSERT_EQ(it->second, want) << "order " << id << ": the stream differs from the log";
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(Stream, CoreAndTwoGateways200Subscribers500OrdersEachLifecycleOnceInOrder) {
  // Quotes ~4 ms and execution ~50 ms: orders are live while subscribers
  // join, so each stream crosses the catch-up/live boundary somewhere.
  StreamFleet fleet(2, {"--sim-latency-scale", "0.02", "--fail-rate", "0.2"});
  constexpr int kSubscribers = 200, kOrders = 500, kOnCore = 20;
  std::vector<Follower> followers(kSubscribers + kOnCore);
  std::vector<std::thread> threads;
  for (int i = 0; i < kSubscribers; ++i) {
    const int orders = kOrders / kSubscribers + (i < kOrders % kSubscribers ? 1 : 0);
    const auto ws_port = fleet.gateway[i % 2]->port();
    threads.emplace_back([&, i, orders, ws_port] { follow(fleet.core.port(), ws_port, orders, followers[i]); });
  }
  // A few more on the core itself: its in-process path sends the same bytes.
  for (int i = kSubscribers; i < kSubscribers + kOnCore; ++i) {
    threads.emplace_back([&, i] { follow(fleet.core.port(), fleet.core.port(), 1, followers[i]); });
  }
  for (auto& t : threads) t.join();
  HttpClient core(fleet.core.port());
  expect_complete(core, followers);
  std::size_t total = 0;
  for (const auto& f : followers) total += f.ids.size();
  EXPECT_EQ(total, static_cast<std::size_t>(kOrders + kOnCore));
  // Both gateways really were fed by Redis, not only by catch-up.
  for (auto& g : fleet.gateway) {
    HttpClient h(g->port());
    EXPECT_GT(metric_value(h.get("/metrics").body, "oee_gateway_messages_total"), 0) << "gateway got nothing live";
  }
}

TEST(Stream, RedisKilledAndRestartedMidRunEverySubscriberStillGetsEveryEvent) {
  // Orders live about 1.3 s, so that 100 of their events are still to come
  // when Redis dies, even when the 40 subscribers take long to start.
  StreamFleet fleet(2, {"--sim-latency-scale", "0.5"});
  HttpClient core(fleet.core.port());
  constexpr int kSubscribers = 40, kOrdersEach = 3;
  std::vector<Follower> followers(kSubscribers);
  std::atomic<int> submitted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kSubscribers; ++i) {
    const auto ws_port = fleet.gateway[i % 2]->port();
    threads.emplace_back([&, i, ws_port] {
      follow(fleet.core.port(), ws_port, kOrdersEach, followers[i], [&] { ++submitted; });
    });
  }
  ASSERT_TRUE(eventually([&] { return submitted.load() == kSubscribers; }, 30s));
  // Kill Redis while the orders are mid-flight; let the log move on without it.
  const auto head_at_kill = core.get("/health").json().at("log").at("head").to_number<std::uint64_t>();
  fleet.redis.kill();
  ASSERT_TRUE(eventually(
      [&] {
        return core.get("/health").json().at("log").at("head").to_number<std::uint64_t>() >= head_at_kill + 100;
      },
      30s))
      << "the engine stopped while Redis was down";
  ASSERT_TRUE(eventually([&] { return core.get("/health").json().at("redis").at("status") == "down"; }, 10s));
  fleet.redis.resume();
  for (auto& t : threads) t.join();
  expect_complete(core, followers);
  ASSERT_TRUE(eventually([&] { return core.get("/health").json().at("redis").at("lagEvents") == 0; }, 20s));
  for (auto& g : fleet.gateway) {
    HttpClient h(g->port());
    const auto health = h.get("/health").json();
    EXPECT_GE(health.at("redis").at("reconnects").to_number<int>(), 1);
  }
}

// Only the gateways lose Redis (their ACL user is disabled and their
// connections killed) while the core keeps publishing: what is published
// meanwhile never reaches them through Redis and must be fetched from the core.
TEST(Stream, GatewayThatLosesItsSubscriptionFetchesWhatItMissedFromTheCore) {
  // Orders live about 1.3 s: long enough that 50 more events are appended
  // after the gateway has noticed its loss even on a loaded machine.
  StreamFleet fleet(1, {"--sim-latency-scale", "0.5"}, {}, true);
  auto& redis = fleet.redis;
  const ServerProcess& core = fleet.core;
  const ServerProcess& gateway = *fleet.gateway[0];
  HttpClient core_http(core.port());
  HttpClient gw_http(gateway.port());

  constexpr int kSubscribers = 30, kOrdersEach = 3;
  std::vector<Follower> followers(kSubscribers);
  std::atomic<int> submitted{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kSubscribers; ++i) {
    threads.emplace_back([&, i] { follow(core.port(), gateway.port(), kOrdersEach, followers[i], [&] { ++submitted; }); });
  }
  ASSERT_TRUE(eventually([&] { return submitted.load() == kSubscribers; }, 30s));
  redis.command("ACL SETUSER gw off");
  redis.command("CLIENT KILL USER gw");
  ASSERT_TRUE(eventually([&] { return gw_http.get("/health").json().at("redis").at("status") == "down"; }, 10s));
  const auto head = core_http.get("/health").json().at("log").at("head").to_number<std::uint64_t>();
  ASSERT_TRUE(eventually(
      [&] { return core_http.get("/health").json().at("log").at("head").to_number<std::uint64_t>() >= head + 50; },
      30s));
  redis.command("ACL SETUSER gw on");
  for (auto& t : threads) t.join();
  expect_complete(core_http, followers);
  EXPECT_GE(metric_value(gw_http.get("/metrics").body, "oee_gateway_resyncs_total"), 2);
  EXPECT_EQ(core_http.get("/health").json().at("redis").at("reconnects").to_number<int>(), 0)
      << "the publisher was not meant to lose Redis";
}

// A gateway parses what its clients send as the core does: a fromSeq out
// of range is an error message, and the session goes on.
TEST(Stream, AGatewayAnswersAFromSeqOutOfRangeAndKeepsTheSession) {
  StreamFleet fleet(1);
  WsClient ws(fleet.gateway[0]->port(), "/ws");
  ws.send(R"({"type":"subscribe","orderId":"00000000-0000-4000-8000-000000000000","fromSeq":9223372036854775808})");
  const auto reply = ws.read(5s);
  ASSERT_TRUE(reply) << "no answer: the session is dead";
  EXPECT_EQ(json::parse(*reply).at("error").at("code"), "invalid_from_seq");
  ws.send(R"({"type":"ping"})");
  const auto pong = ws.read(5s);
  ASSERT_TRUE(pong);
  EXPECT_EQ(json::parse(*pong).at("type"), "pong");
}

// A reference client on a gateway, as on the core: no subprotocol, so no
// acks and no pong, every message a status message with a string status,
// numbers for prices, and the snake_case names, on /ws and on the submit
// path with text frames; its errors carry a status too.
TEST(Stream, ACompatClientOnAGatewayGetsStatusMessagesOnly) {
  StreamFleet fleet(1, {"--fail-rate", "0"});  // a retry would repeat the steps listed below
  HttpClient core(fleet.core.port());
  const auto gw = fleet.gateway[0]->port();
  for (const std::string path : {"/ws", "/api/orders/execute"}) {
    SCOPED_TRACE(path);
    const auto res = core.post_json("/api/orders/execute", order_body());
    ASSERT_EQ(res.status, 202);
    const std::string id(res.json().at("orderId").as_string());
    WsClient ws(gw, path, 0, Dialect::compat);
    EXPECT_EQ(ws.subprotocol(), "");
    ws.send(path == "/ws" ? R"({"type":"subscribe","orderId":")" + id + "\"}" : id);
    ws.send(R"({"type":"ping"})");
    std::vector<std::string> statuses;
    while (statuses.empty() || statuses.back() != "confirmed") {
      const auto text = ws.read(20s);
      ASSERT_TRUE(text) << "the stream ended after " << statuses.size() << " messages";
      const auto m = json::parse(*text).as_object();
      ASSERT_FALSE(m.contains("type")) << "a control message: " << *text;
      ASSERT_TRUE(m.at("status").is_string()) << *text;
      EXPECT_EQ(m.at("orderId").as_string(), id);
      EXPECT_EQ(m.at("order_id").as_string(), id);
      statuses.emplace_back(m.at("status").as_string());
      if (statuses.back() == "confirmed") {
        EXPECT_TRUE(m.at("executedPrice").is_number()) << *text;
        EXPECT_EQ(m.at("execution_price"), m.at("executedPrice"));
        EXPECT_EQ(m.at("tx_hash"), m.at("txHash"));
      }
    }
    EXPECT_EQ(statuses, (std::vector<std::string>{"pending", "routing", "building", "submitted", "confirmed"}));
  }
  WsClient ws(gw, "/ws", 0, Dialect::compat);
  ws.send(R"({"type":"subscribe","orderId":"not-an-id"})");
  const auto error = ws.read(5s);
  ASSERT_TRUE(error);
  const auto m = json::parse(*error).as_object();
  EXPECT_EQ(m.at("status"), "error");
  EXPECT_TRUE(m.at("error").is_object()) << *error;
}

TEST(Stream, ReconnectWithFromSeqGetsExactlyTheMissedEvents) {
  StreamFleet fleet(1, {"--sim-latency-scale", "0.3"});
  HttpClient core(fleet.core.port());
  const auto res = core.post_json("/api/orders/execute", order_body());
  ASSERT_EQ(res.status, 202);
  const std::string id(res.json().at("orderId").as_string());
  const auto port = fleet.gateway[0]->port();

  // The first two messages (submitted, routingStarted), then a disconnect:
  // the rest of the routedAndSent record (routed, txSubmitted) and what
  // follows are missed.
  std::vector<Step> had;
  {
    WsClient ws(port, "/ws");
    ws.send(R"({"type":"subscribe","orderId":")" + id + "\"}");
    while (had.size() < 2) {
      auto text = ws.read(10s);
      ASSERT_TRUE(text);
      if (json::parse(*text).as_object().contains("type")) continue;
      had.push_back(step_of(*text));
    }
  }  // disconnected mid-lifecycle
  ASSERT_TRUE(eventually([&] { return core.get("/api/orders/" + id).json().at("status") == "confirmed"; }, 30s));

  // Resuming at the last seq seen sends that record's every message again,
  // then the later records': exactly the core's messages from that seq on.
  // The client drops those it had, by (seq, event); what is left is exactly
  // what it missed, and with what it had, the whole history, each once.
  const auto history = core_messages(core, id);
  ASSERT_GE(history.size(), had.size());
  const std::uint64_t resume = had.back().first;
  std::vector<std::string> replay;
  for (const auto& m : history) {
    if (step_of(m).first >= resume) replay.push_back(m);
  }
  const std::vector<std::string> want(history.begin() + static_cast<std::ptrdiff_t>(had.size()), history.end());
  ASSERT_GE(want.size(), 3u);
  ASSERT_GT(replay.size(), want.size()) << "the resumed record's first message comes again";
  WsClient again(port, "/ws?orderId=" + id + "&fromSeq=" + std::to_string(resume));
  std::vector<std::string> got;
  while (got.size() < replay.size()) {
    auto text = again.read(10s);
    ASSERT_TRUE(text) << "missing events after " << got.size();
    if (json::parse(*text).as_object().contains("type")) continue;
    got.push_back(*text);
  }
  EXPECT_EQ(got, replay);
  std::vector<Step> steps = had;
  std::vector<std::string> missed;
  for (const auto& text : got) {
    if (std::find(had.begin(), had.end(), step_of(text)) != had.end()) continue;
    missed.push_back(text);
    steps.push_back(step_of(text));
  }
  EXPECT_EQ(missed, want);
  std::vector<Step> history_steps;
  for (const auto& m : history) history_steps.push_back(step_of(m));
  EXPECT_EQ(steps, history_steps) << "a gap or a repeat";
  // Nothing more: no duplicates trail the terminal event.
  again.send(R"({"type":"ping"})");
  auto next = again.read(10s);
  ASSERT_TRUE(next);
  EXPECT_EQ(json::parse(*next).at("type"), "pong") << *next;
}

// Submits an order to the core and subscribes to it on `ws`. Returns ""
// once "subscribed" comes (after a gateway's catch-up from the core), or
// what came instead.
std::string submit_and_subscribe(unsigned short core_port, WsClient& ws) {
  HttpClient core(core_port);
  const auto res = core.post_json("/api/orders/execute", order_body());
  if (res.status != 202) return "submit answered " + std::to_string(res.status);
  const std::string id(res.json().at("orderId").as_string());
  ws.send(R"({"type":"subscribe","orderId":")" + id + "\"}");
  for (;;) {
    const auto text = ws.read(30s);
    if (!text) return "nothing for " + id;
    const auto v = json::parse(*text).as_object();
    if (v.contains("error")) return *text;
    if (v.contains("type") && v.at("type") == "subscribed" && v.at("orderId") == json::value(id)) return "";
  }
}

// Each subscription on a gateway starts with a catch-up from the core over
// HTTP. The gateway keeps its connections to the core alive and reuses
// them instead of a TCP connect, accept and close per subscription.
TEST(Stream, AGatewayReusesItsConnectionsToTheCoreForCatchUps) {
  StreamFleet fleet(1);
  HttpClient gateway(fleet.gateway[0]->port());
  WsClient ws(fleet.gateway[0]->port(), "/ws");
  constexpr int kOrders = 10;
  for (int i = 0; i < kOrders; ++i) ASSERT_EQ(submit_and_subscribe(fleet.core.port(), ws), "");  // one at a time
  const auto metrics = gateway.get("/metrics").body;
  EXPECT_GE(metric_value(metrics, "oee_gateway_core_requests_total"), kOrders);
  EXPECT_LE(metric_value(metrics, "oee_gateway_core_connections_total"), 2);
}

// A kept connection dies with the core. The next catch-up finds it closed
// and asks again on a fresh one, instead of refusing the subscription.
TEST(Stream, AGatewayCatchesUpOnAFreshConnectionAfterTheCoreRestarts) {
  StreamFleet fleet(1);
  HttpClient gateway(fleet.gateway[0]->port());
  WsClient ws(fleet.gateway[0]->port(), "/ws");
  ASSERT_EQ(submit_and_subscribe(fleet.core.port(), ws), "");
  const auto port = fleet.core.port();
  fleet.core.kill9();
  fleet.core.start(port);
  EXPECT_EQ(submit_and_subscribe(port, ws), "") << "the subscription after the restart was refused";
  EXPECT_GE(metric_value(gateway.get("/metrics").body, "oee_gateway_core_connections_total"), 2);  // a fresh one
}

TEST(Stream, SlowReaderOnAGatewayIsDroppedOthersUnaffected) {
  StreamFleet fleet(1, {"--sim", "fast"}, {"--ws-queue-limit", "8"});
  HttpClient core(fleet.core.port());
  const auto ids = submit_orders(core, 300);
  ASSERT_TRUE(eventually(
      [&] { return core.get("/health").json().at("executor").at("inFlight").to_number<int>() == 0; }, 30s));
  const auto port = fleet.gateway[0]->port();
  HttpClient gateway(port);
  WsClient slow(port, "/ws", 1024);
  for (const auto& id : ids) slow.send(R"({"type":"subscribe","orderId":")" + id + "\"}");
  ASSERT_TRUE(eventually(
      [&] { return metric_value(gateway.get("/metrics").body, "oee_websocket_dropped_slow_total") >= 1; }, 30s))
      << "the slow reader was never dropped";

  // Another subscriber on the same gateway follows a new order to the end.
  const auto res = core.post_json("/api/orders/execute", order_body());
  ASSERT_EQ(res.status, 202);
  const std::string id(res.json().at("orderId").as_string());
  WsClient healthy(port, "/api/orders/execute?orderId=" + id);
  std::vector<std::string> got;
  while (auto text = healthy.read(10s)) {
    if (json::parse(*text).as_object().contains("type")) continue;
    got.push_back(*text);
  }
  EXPECT_EQ(got, core_messages(core, id));
  EXPECT_EQ(healthy.close_code(), 1000);

  int drained = 0;
  while (slow.read(5s)) ++drained;
  EXPECT_EQ(slow.close_code(), 1008);
  EXPECT_NE(slow.close_reason().find("slow consumer"), std::string::npos);
}

TEST(Stream, SilentSocketIsClosedAfterTheIdleTimeoutAnsweringOneStays) {
  StreamFleet fleet(1, {}, {"--ws-idle-timeout", "2"});
  const auto port = fleet.gateway[0]->port();
  HttpClient gateway(port);
  auto clients = [&] { return metric_value(gateway.get("/metrics").body, "oee_websocket_clients"); };
  WsClient silent(port, "/ws");  // never reads, so never answers a ping
  WsClient answering(port, "/ws");
  ASSERT_TRUE(eventually([&] { return clients() == 2; }, 10s));
  // Reading answers the server's pings (Beast does it inside read()); no
  // message comes, so unless the server closes the socket, this read lasts
  // its full 8 s: four idle timeouts.
  std::chrono::steady_clock::duration answered_for{};
  std::thread reader([&] {
    const auto start = std::chrono::steady_clock::now();
    EXPECT_FALSE(answering.read(8s).has_value());
    answered_for = std::chrono::steady_clock::now() - start;
  });
  // Pinged after 1 s, closed 1 s later: the silent one goes...
  EXPECT_TRUE(eventually([&] { return clients() == 1; }, 6s)) << "the silent socket was never closed";
  reader.join();
  // ...and the one that answers pings was never closed.
  EXPECT_GE(answered_for, 8s) << "the socket that answers pings was closed";
  EXPECT_EQ(answering.close_code(), 0) << "the socket that answers pings was closed: " << answering.close_reason();
}

TEST(Stream, GatewayAnswersRestWithWhereToGoAndRefusesToStartWithoutRedis) {
  StreamFleet fleet(1);
  HttpClient gateway(fleet.gateway[0]->port());
  const auto res = gateway.post_json("/api/orders/execute", order_body());
  EXPECT_EQ(res.status, 404);
  EXPECT_EQ(res.json().at("error").at("code"), "not_on_gateway");
  EXPECT_NE(std::string(res.json().at("error").at("message").as_string()).find(std::to_string(fleet.core.port())),
            std::string::npos);
  auto wrong_method = gateway.request("POST", "/health", "", {});
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(wrong_method.headers["Allow"], "GET");
  EXPECT_EQ(wrong_method.json().at("error").at("code"), "method_not_allowed");
  const auto health = gateway.get("/health").json();
  EXPECT_EQ(health.at("role"), "gateway");
  // An unknown order is reported as such through the core.
  WsClient ws(fleet.gateway[0]->port(), "/ws");
  ws.send(R"({"type":"subscribe","orderId":"00000000-0000-4000-8000-000000000000","fromSeq":5})");
  auto text = ws.read(10s);
  ASSERT_TRUE(text);
  EXPECT_EQ(json::parse(*text).at("error").at("code"), "not_found") << *text;

  const auto no_redis = run({kServer, "--role", "gateway", "--port", "0"});
  EXPECT_EQ(no_redis.exit_code, 2);
  EXPECT_NE(no_redis.err.find("--redis-url"), std::string::npos) << no_redis.err;
  const auto bad_url = run({kServer, "--role", "gateway", "--port", "0", "--redis-url", "http://x"});
  EXPECT_EQ(bad_url.exit_code, 2);
  EXPECT_NE(bad_url.err.find("redis://"), std::string::npos) << bad_url.err;
}

}  // namespace
}  // namespace oee::e2e
