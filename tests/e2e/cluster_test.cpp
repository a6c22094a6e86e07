// Cluster mode with real processes: a 3-server NATS JetStream cluster on
// loopback and two oee-server nodes on it. Any node serves any order, each
// order is executed once, and when a node is killed (-9) or stopped
// (SIGSTOP) past its lease, the other takes its partitions over and every
// acknowledged order finishes, once; a stopped owner's executor lands
// nothing after the takeover.

#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <set>
#include <tuple>

#include <boost/json.hpp>

#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/jetstream/partition_log.h"
#include "eventlog/record_codec.h"
#include "cluster_nodes.h"
#include "order_reads.h"

namespace oee::e2e {
namespace {

namespace json = boost::json;
namespace js = eventlog::jetstream;
using namespace std::chrono_literals;

// `count` limit orders far above any price, submitted to `client`: they
// wait. Their ids.
std::vector<std::string> submit_waiting(HttpClient& client, int count) {
  const std::string limit = R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"limitPrice":"100000"})";
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    const auto res = client.post_json("/api/orders/execute", limit);
    EXPECT_EQ(res.status, 202) << res.body;
    if (res.status == 202) ids.emplace_back(res.json().at("orderId").as_string());
  }
  return ids;
}

TEST(ClusterNodes, AnyNodeServesAnyOrderAndEachIsExecutedOnce) {
  TwoNodes nodes({"--sim", "fast"});
  auto [nats, a, b] = nodes.parts();
  auto ids = submit(a.port(), 20);
  const auto more = submit(b.port(), 20);
  ids.insert(ids.end(), more.begin(), more.end());
  ASSERT_EQ(ids.size(), 40u);
  HttpClient client_a(a.port()), client_b(b.port());
  ASSERT_TRUE(all_finish(client_a, ids, 60s));
  ASSERT_TRUE(all_finish(client_b, ids, 60s));
  for (const auto& id : ids) {
    EXPECT_EQ(client_a.get("/api/orders/" + id).body, client_b.get("/api/orders/" + id).body);
    EXPECT_EQ(event_names(client_a, id), event_names(client_b, id));
  }
  expect_finished_once(client_b, ids);
  // Both nodes executed: the partitions were shared, and each node says so.
  // A partition being handed over has no owner for a moment: the view is
  // read until every partition has one.
  std::map<std::string, int> owners;
  std::string view_body;
  ASSERT_TRUE(eventually(
      [&] {
        const auto view = client_a.get("/api/cluster");
        view_body = view.body;
        owners.clear();
        if (view.status != 200) return false;
        const json::value cluster_view = view.json();
        for (const auto& p : cluster_view.at("partitions").as_array()) {
          ++owners[std::string(p.at("owner").as_string())];
          EXPECT_GE(p.at("lastSeq").to_number<std::uint64_t>(), 1u);
        }
        return owners["a"] + owners["b"] == static_cast<int>(kPartitions);
      },
      15s))
      << view_body;
  EXPECT_GE(owners["a"], 1);
  EXPECT_GE(owners["b"], 1);
  const auto health = client_b.get("/health").json();
  EXPECT_EQ(health.at("cluster").at("node").as_string(), "b");
  EXPECT_TRUE(health.at("cluster").at("reachable").as_bool());
  EXPECT_EQ(static_cast<int>(health.at("cluster").at("executedHere").as_array().size()), owners["b"]);
  EXPECT_NE(a.stdout_tail().find("executed by this node (a)"), std::string::npos);
  EXPECT_NE(b.stdout_tail().find("executed by this node (b)"), std::string::npos);
}

// A submit without an Idempotency-Key lands where it was taken: its id is
// drawn in a partition that node executes, so its first event is stored by
// that node, not forwarded to the other.
TEST(ClusterNodes, AnUnkeyedSubmitLandsInAPartitionTheNodeThatTookItExecutes) {
  TwoNodes nodes({"--sim", "fast"});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  const auto forwarded = [](HttpClient& client) {
    return metric_value(client.get("/metrics").body, "oee_forwarded_writes_total");
  };
  const double forwarded_a = forwarded(client_a), forwarded_b = forwarded(client_b);
  for (const auto& [node, client] : {std::pair<std::string, HttpClient*>{"a", &client_a}, {"b", &client_b}}) {
    for (int i = 0; i < 16; ++i) {
      const auto res = client->post_json("/api/orders/execute", order_body("0.1"));
      ASSERT_EQ(res.status, 202) << res.body;
      const auto partition = res.json().at("partition").to_number<std::uint32_t>();
      EXPECT_EQ(owner_of(*client, partition), node) << "submitted to " << node << ": " << res.body;
    }
  }
  EXPECT_EQ(forwarded(client_a), forwarded_a) << "a forwarded a submit to b";
  EXPECT_EQ(forwarded(client_b), forwarded_b) << "b forwarded a submit to a";
}

TEST(ClusterNodes, KillingANodeMovesItsPartitionsAndEveryOrderFinishesOnce) {
  // Orders take a while (quotes, the chain), so some are mid-flight on the
  // node that dies.
  const std::vector<std::string> sim{"--sim", "realistic", "--sim-latency-scale", "0.3", "--fail-rate", "0"};
  TwoNodes nodes(sim);
  auto [nats, a, b] = nodes.parts();
  HttpClient client_b(b.port());
  // Half through each node: an unkeyed order lands in a partition of the
  // node that took it, so a's are in flight on a when it dies.
  auto ids = submit(a.port(), 15);
  const auto on_b = submit(b.port(), 15);
  ids.insert(ids.end(), on_b.begin(), on_b.end());
  a.kill9();
  const auto killed = std::chrono::steady_clock::now();
  const auto after = submit(b.port(), 10);
  ids.insert(ids.end(), after.begin(), after.end());
  ASSERT_TRUE(all_finish(client_b, ids, 60s));
  // The lease (2 s) ran out, then b resumed a's orders; 3x slack.
  EXPECT_LT(std::chrono::steady_clock::now() - killed, 3 * (2s + 2s + 5s));
  expect_finished_once(client_b, ids);
  EXPECT_NE(b.stdout_tail().find("executor: resuming"), std::string::npos)
      << "b resumed none of a's orders: nothing was in flight when a died, a weak test";
  // a's orders in flight were resumed by b, not started again: none lost its
  // transaction's landing (a second transaction of the same attempt would
  // show as two txSubmitted of one attempt).
  for (const auto& id : ids) {
    const json::value history = client_b.get("/api/orders/" + id + "/events").json();
    std::map<std::int64_t, int> submitted_per_attempt;
    for (const auto& e : history.at("events").as_array()) {
      if (e.at("event").as_string() == "txSubmitted") ++submitted_per_attempt[e.at("attempt").to_number<std::int64_t>()];
    }
    for (const auto& [attempt, n] : submitted_per_attempt) EXPECT_EQ(n, 1) << id << " attempt " << attempt;
  }
}

// SIGSTOP of the node that owns partitions, for longer than its lease: the
// other node takes them over; woken, the stopped node's executor finds
// itself fenced, and none of its events lands after the other node's
// PartitionTaken in any partition.
TEST(ClusterNodes, APausedOwnerIsFencedAndLandsNothingAfterTheTakeover) {
  testing::NatsCluster nats;
  TempDir dir;
  const std::vector<std::string> sim{"--sim", "realistic", "--sim-latency-scale", "0.3", "--fail-rate", "0"};
  ServerProcess a(dir.path() / "a", node_args(nats, "a", sim));
  a.start();
  ASSERT_TRUE(executes_every_partition(a, "a"));
  ServerProcess b(dir.path() / "b", node_args(nats, "b", sim));
  b.start();
  auto ids = submit(a.port(), 30);
  ::kill(a.pid(), SIGSTOP);
  std::this_thread::sleep_for(3 * 2s);  // past a's lease: what the test is about, not a synchronisation
  ::kill(a.pid(), SIGCONT);
  HttpClient client_b(b.port());
  const auto more = submit(b.port(), 10);
  ids.insert(ids.end(), more.begin(), more.end());
  ASSERT_TRUE(all_finish(client_b, ids, 60s));
  expect_finished_once(client_b, ids);

  const int takeovers_by_b = expect_fenced_after_takeovers(nats, "a", "b");
  EXPECT_GE(takeovers_by_b, 1) << "b never took a partition: the pause tested nothing";
}

TEST(ClusterNodes, OneIdempotencyKeySentToBothNodesMakesOneOrder) {
  TwoNodes nodes({"--sim", "fast"});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  const std::map<std::string, std::string> key{{"Content-Type", "application/json"}, {"Idempotency-Key", "cluster-key-1"}};
  const auto first = client_a.request("POST", "/api/orders/execute", order_body("2"), key);
  ASSERT_EQ(first.status, 202) << first.body;
  const std::string id(first.json().at("orderId").as_string());
  const auto again = client_b.request("POST", "/api/orders/execute", order_body("2"), key);
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json().at("orderId").as_string(), id);
  EXPECT_TRUE(again.json().at("idempotentReplay").as_bool());
  const auto other = client_b.request("POST", "/api/orders/execute", order_body("3"), key);
  EXPECT_EQ(other.status, 409) << other.body;
  ASSERT_TRUE(all_finish(client_b, {id}, 30s));
  expect_finished_once(client_a, {id});
}

// A node takes --default-pair as a single server does: a body that names
// no token is an order of the pair on either node, and the same order as
// the body that names it, whichever node each comes to. (The slippage is
// the cluster tests' margin against the drifting market.)
TEST(ClusterNodes, ADefaultPairHoldsOnEitherNode) {
  TwoNodes nodes({"--sim", "fast", "--default-pair", "SOL/USDC"});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  const std::map<std::string, std::string> key{{"Content-Type", "application/json"}, {"Idempotency-Key", "pair-key-1"}};
  const auto first = client_a.request("POST", "/api/orders/execute", R"({"amount":"2","slippage":0.05})", key);
  ASSERT_EQ(first.status, 202) << first.body;
  EXPECT_EQ(first.json().at("inputToken"), "SOL");
  EXPECT_EQ(first.json().at("outputToken"), "USDC");
  const std::string id(first.json().at("orderId").as_string());
  const auto named = client_b.request("POST", "/api/orders/execute", order_body("2"), key);
  ASSERT_EQ(named.status, 200) << named.body;
  EXPECT_EQ(named.json().at("orderId").as_string(), id);
  const auto plain = client_b.post_json("/api/orders/execute", R"({"amount":50,"slippage":0.05})");
  ASSERT_EQ(plain.status, 202) << plain.body;
  EXPECT_EQ(plain.json().at("inputToken"), "SOL");
  EXPECT_EQ(plain.json().at("outputToken"), "USDC");
  const std::string other(plain.json().at("orderId").as_string());
  ASSERT_TRUE(all_finish(client_a, {id, other}, 30s));
  for (const auto& order : {id, other}) {
    const auto got = client_a.get("/api/orders/" + order).json();
    EXPECT_EQ(got.at("inputToken"), "SOL");
    EXPECT_EQ(got.at("outputToken"), "USDC");
  }
  expect_finished_once(client_b, {id, other});
}

// A waiting order amended or cancelled from each node: the one that
// executes its partition acts through its executor, the other appends the
// event itself; either way it takes effect once, in the executor's book too.
TEST(ClusterNodes, AWaitingOrderIsAmendedOrCancelledFromEitherNode) {
  TwoNodes nodes({"--sim", "fast"});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  auto ids = submit_waiting(client_a, 8);
  ASSERT_EQ(ids.size(), 8u);
  for (const auto& id : ids) ASSERT_TRUE(reaches(client_b, id, "open", 20s)) << id;
  // Every one waits in the book of the node that executes its partition.
  const std::string open_limits = R"(oee_open_orders{type="limit",pair="SOL/USDC"})";
  const auto waiting = [&] {
    double sum = 0;
    for (auto* c : {&client_a, &client_b}) sum += std::max(0.0, metric_value(c->get("/metrics").body, open_limits));
    return sum;
  };
  ASSERT_TRUE(eventually([&] { return waiting() == static_cast<double>(ids.size()); }, 20s)) << waiting();
  // Either node shows the whole book, whichever partitions it executes.
  const auto book_on = [](HttpClient& c) {
    const auto res = c.get("/api/book/SOL/USDC");
    return res.status == 200 ? res.json().at("orders").to_number<int>() : -res.status;
  };
  EXPECT_EQ(book_on(client_a), 8);
  EXPECT_EQ(book_on(client_b), 8);
  for (auto* c : {&client_a, &client_b}) {
    const auto levels = c->get("/api/book/SOL/USDC").json().at("levels").as_array();
    ASSERT_EQ(levels.size(), 1u);
    EXPECT_EQ(levels[0].at("orders").to_number<int>(), 8);
    EXPECT_EQ(levels[0].at("amountIn").as_string(), "8");
  }
  // Amended from either node to a price the market pays, the first half
  // fire: the executor of each one's partition trades on the new terms,
  // whichever node appended them.
  const std::vector<std::string> amended(ids.begin(), ids.begin() + 4);
  ids.erase(ids.begin(), ids.begin() + 4);
  for (std::size_t i = 0; i < amended.size(); ++i) {
    auto& via = i % 2 == 0 ? client_a : client_b;
    const auto res = via.request("PATCH", "/api/orders/" + amended[i], R"({"limitPrice":"1"})");
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.json().at("minAmountOut").as_string(), "1");
  }
  for (const auto& id : amended) {
    ASSERT_TRUE(reaches(client_b, id, "confirmed", 30s)) << id << " " << status_of(client_b, id);
    const auto names = event_names(client_a, id);
    EXPECT_EQ(std::count(names.begin(), names.end(), "amended"), 1) << id;
  }
  expect_finished_once(client_a, amended);
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto& via = i % 2 == 0 ? client_a : client_b;
    const auto res = via.request("DELETE", "/api/orders/" + ids[i], "", {});
    ASSERT_EQ(res.status, 200) << res.body;
    EXPECT_EQ(res.json().at("status").as_string(), "cancelled");
  }
  for (const auto& id : ids) {
    EXPECT_EQ(status_of(client_a, id), "cancelled");
    EXPECT_EQ(status_of(client_b, id), "cancelled");
    const auto names = event_names(client_b, id);
    EXPECT_EQ(std::count(names.begin(), names.end(), "cancelled"), 1) << id;
  }
  // A cancel appended by the node that does not execute the order takes it
  // out of its executor's book too, not only when its trigger comes.
  EXPECT_TRUE(eventually([&] { return waiting() == 0; }, 10s)) << waiting() << " cancelled orders still in a book";
  EXPECT_EQ(book_on(client_a), 0);
  EXPECT_EQ(book_on(client_b), 0);
  // A finished order cannot be cancelled, from either node.
  const auto done = submit(a.port(), 1);
  ASSERT_TRUE(all_finish(client_a, done, 30s));
  EXPECT_EQ(client_b.request("DELETE", "/api/orders/" + done[0], "", {}).status, 409);
  EXPECT_EQ(client_a.request("DELETE", "/api/orders/" + done[0], "", {}).status, 409);
}

// A node that gives a partition up to a newcomer lets go of its waiting
// orders: across the nodes each waiting order is counted once, in the book
// of the node that executes it now.
TEST(ClusterNodes, WaitingOrdersAreCountedOnceAfterTheirPartitionMovesToANewNode) {
  testing::NatsCluster nats;
  TempDir dir;
  ServerProcess a(dir.path() / "a", node_args(nats, "a", {"--sim", "fast"}));
  a.start();
  HttpClient client_a(a.port());
  auto ids = submit_waiting(client_a, 8);
  ASSERT_EQ(ids.size(), 8u);
  for (const auto& id : ids) ASSERT_TRUE(reaches(client_a, id, "open", 20s)) << id;
  const std::string open_limits = R"(oee_open_orders{type="limit",pair="SOL/USDC"})";
  const auto waiting_on = [&](HttpClient& c) { return std::max(0.0, metric_value(c.get("/metrics").body, open_limits)); };
  ASSERT_TRUE(eventually([&] { return waiting_on(client_a) == 8; }, 20s)) << waiting_on(client_a);

  ServerProcess b(dir.path() / "b", node_args(nats, "b", {"--sim", "fast"}));
  b.start();
  ASSERT_TRUE(both_hold_their_share(a, b));
  HttpClient client_b(b.port());
  EXPECT_TRUE(eventually([&] { return waiting_on(client_a) + waiting_on(client_b) == 8 && waiting_on(client_b) > 0; },
                         20s))
      << waiting_on(client_a) << " on a, " << waiting_on(client_b) << " on b";
}

// Every NATS server down: a submit is refused at once with 503 (nothing
// half written), what the node holds is still read, and once the cluster is
// back the node takes orders again by itself.
TEST(ClusterNodes, WithTheWholeNatsClusterDownSubmitsAre503AndResumeAfterwards) {
  testing::NatsCluster nats;
  TempDir dir;
  ServerProcess a(dir.path() / "a", node_args(nats, "a", {"--sim", "fast"}));
  a.start();
  HttpClient client(a.port());
  const auto before = submit(a.port(), 3);
  ASSERT_TRUE(all_finish(client, before, 30s));
  for (int s = 0; s < nats.size(); ++s) nats.kill(s);
  ASSERT_TRUE(eventually([&] { return !client.get("/health").json().at("cluster").at("reachable").as_bool(); }, 15s));
  EXPECT_EQ(client.get("/health").json().at("status").as_string(), "degraded");
  const auto started = std::chrono::steady_clock::now();
  const auto refused = client.post_json("/api/orders/execute", order_body("1"));
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json().at("error").at("code").as_string(), "log_unavailable") << refused.body;
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3 * 2s) << "a submit hung on a cluster that is down";
  for (const auto& id : before) {
    const auto held = client.get("/api/orders/" + id);
    EXPECT_EQ(held.status, 200) << held.body;
  }
  for (int s = 0; s < nats.size(); ++s) nats.resume(s);
  std::string id;
  ASSERT_TRUE(eventually(
      [&] {
        const auto res = client.post_json("/api/orders/execute", order_body("1"));
        if (res.status == 202) id = std::string(res.json().at("orderId").as_string());
        return res.status == 202;
      },
      60s));
  EXPECT_TRUE(all_finish(client, {id}, 60s));
}

// A WebSocket on one node streams an order the other node executes: every
// status from pending to confirmed, in stream order ((seq, event), each
// once: a record's several messages share its seq), ending terminal.
TEST(ClusterNodes, AStreamOnOneNodeFollowsAnOrderExecutedByTheOther) {
  const std::vector<std::string> sim{"--sim", "realistic", "--sim-latency-scale", "0.2", "--fail-rate", "0"};
  TwoNodes nodes(sim);
  auto [nats, a, b] = nodes.parts();
  for (const auto& id : submit(a.port(), 6)) {
    WsClient ws(b.port(), "/ws");
    ws.send(R"({"type":"subscribe","orderId":")" + id + R"("})");
    std::vector<std::string> statuses;
    StreamAt last{};
    for (;;) {
      auto text = ws.read(20s);
      ASSERT_TRUE(text) << "the stream of " << id << " stopped after " << statuses.size() << " messages";
      const json::value m = json::parse(*text);
      const auto& v = m.as_object();
      if (v.contains("type")) continue;
      EXPECT_GT(stream_at(m), last) << *text;
      last = stream_at(m);
      statuses.emplace_back(v.at("status").as_string());
      if (v.contains("terminal")) break;
    }
    EXPECT_EQ(statuses.front(), "pending");
    EXPECT_EQ(statuses.back(), "confirmed");
  }
}

// API keys are events in the partitions, which every node hears: a key
// created on one node comes to work on the other, an order it submits is
// its own on both, and a revocation on either node ends it on both. How
// soon is a benchmark's question; the deadlines here only bound a wait.
TEST(ClusterNodes, AKeyCreatedOrRevokedOnOneNodeHoldsOnBoth) {
  const std::string admin = random_admin_key();
  TwoNodes nodes({"--sim", "fast", "--admin-key", admin});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  const auto& as = as_key;
  EXPECT_EQ(client_b.get("/api/cluster").status, 401) << "the cluster view is the admin's";
  EXPECT_EQ(client_b.request("GET", "/api/cluster", {}, as(admin)).status, 200);

  const auto made =
      client_a.request("POST", "/api/keys", R"({"name":"desk","scopes":["orders:read","orders:write"]})", as(admin));
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string key_id(made.json().at("id").as_string());
  const std::string secret(made.json().at("key").as_string());
  std::string order;
  ASSERT_TRUE(eventually(
      [&] {
        const auto res = client_b.request("POST", "/api/orders/execute", order_body("1"), as(secret));
        if (res.status == 202) order = std::string(res.json().at("orderId").as_string());
        return res.status == 202;
      },
      15s))
      << "a key made on a did not work on b";
  ASSERT_TRUE(eventually(
      [&] {
        const auto res = client_a.request("GET", "/api/orders/" + order, {}, as(secret));
        return res.status == 200 && res.json().at("status").as_string() == "confirmed";
      },
      30s))
      << "the key's order, submitted on b, is not its own confirmed order on a";

  const auto other =
      client_b.request("POST", "/api/keys", R"({"name":"other","scopes":["orders:read"]})", as(admin));
  ASSERT_EQ(other.status, 201) << other.body;
  const std::string other_secret(other.json().at("key").as_string());
  ASSERT_TRUE(eventually([&] { return client_a.request("GET", "/api/orders", {}, as(other_secret)).status != 401; },
                         15s));
  EXPECT_EQ(client_a.request("GET", "/api/orders/" + order, {}, as(other_secret)).status, 404)
      << "another key's order is as absent as one that never was, on every node";

  // Waiting orders of the key in every partition, so on both nodes: each
  // is cancelled by the node that executes it once the revocation reaches
  // it, naming the revocation.
  std::vector<std::string> waiting;
  for (int i = 0; i < 8; ++i) {
    const auto res = client_a.request(
        "POST", "/api/orders/execute",
        R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":"1","limitPrice":"100000"})", as(secret));
    ASSERT_EQ(res.status, 202) << res.body;
    waiting.emplace_back(res.json().at("orderId").as_string());
  }
  const auto status_of = [&](const std::string& id) {
    const auto res = client_a.request("GET", "/api/orders/" + id, {}, as(admin));
    return res.status == 200 ? std::string(res.json().at("status").as_string()) : std::string{};
  };
  for (const auto& id : waiting) ASSERT_TRUE(eventually([&] { return status_of(id) == "open"; }, 10s)) << status_of(id);

  const auto revoked = client_b.request("DELETE", "/api/keys/" + key_id, {}, as(admin));
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_TRUE(eventually(
      [&] { return client_a.request("GET", "/api/orders/" + order, {}, as(secret)).status == 401; }, 15s))
      << "a key revoked on b still worked on a";
  for (const auto& id : waiting) {
    EXPECT_TRUE(eventually([&] { return status_of(id) == "cancelled"; }, 10s)) << id << ": " << status_of(id);
    const auto events = client_a.request("GET", "/api/orders/" + id + "/events", {}, as(admin)).json().at("events").as_array();
    EXPECT_NE(json::serialize(events.back()).find("revoked"), std::string::npos) << json::serialize(events);
  }
  EXPECT_EQ(client_b.request("POST", "/api/orders/execute", order_body("1"), as(secret)).status, 401);
  const auto listed = client_a.request("GET", "/api/keys", {}, as(admin));
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.json().at("keys").as_array().size(), 2u) << listed.body;
}

// Dead letters are a set of every partition: both nodes list them all, a
// retry sent to either node is executed by the partition's owner (it hears
// the retry in the log, whoever appended it), and a dismissal on one node
// empties the list on both.
TEST(ClusterNodes, DeadLettersAreListedRetriedAndDismissedFromEitherNode) {
  TwoNodes nodes({"--sim", "fast", "--fail-rate", "1"});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  const auto ids = submit(a.port(), 8);
  ASSERT_EQ(ids.size(), 8u);
  const auto listed = [](HttpClient& c) { return c.get("/api/dlq").json().at("count").to_number<int>(); };
  ASSERT_TRUE(eventually([&] { return listed(client_a) == 8 && listed(client_b) == 8; }, 30s))
      << listed(client_a) << " and " << listed(client_b);

  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto& via = i % 2 == 0 ? client_a : client_b;
    const auto retried = via.request("POST", "/api/dlq/" + ids[i] + "/retry", "", {});
    ASSERT_EQ(retried.status, 202) << retried.body;
  }
  // The chain still drops everything: each retried order fails again, once.
  for (const auto& id : ids) {
    ASSERT_TRUE(eventually(
        [&] {
          const auto names = event_names(client_b, id);
          return std::count(names.begin(), names.end(), "orderFailed") == 2;
        },
        30s))
        << id << " was not executed again after its retry";
    const auto names = event_names(client_a, id);
    EXPECT_EQ(std::count(names.begin(), names.end(), "orderRetried"), 1) << id;
  }
  ASSERT_TRUE(eventually([&] { return listed(client_a) == 8 && listed(client_b) == 8; }, 30s));

  const auto cleared = client_b.request("DELETE", "/api/dlq/clear", "", {});
  ASSERT_EQ(cleared.status, 200) << cleared.body;
  EXPECT_EQ(cleared.json().at("dismissed").to_number<int>(), 8);
  EXPECT_TRUE(eventually([&] { return listed(client_a) == 0 && listed(client_b) == 0; }, 15s))
      << listed(client_a) << " and " << listed(client_b);
  EXPECT_EQ(client_a.request("POST", "/api/dlq/" + ids[0] + "/retry", "", {}).status, 409) << "dismissed already";
}

}  // namespace
}  // namespace oee::e2e
