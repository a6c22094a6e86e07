// Redis from a cluster: each partition's owner publishes that partition,
// from a cursor kept in the cluster, so when a node dies the next owner
// goes on where it stopped. A gateway in front of the cluster counts seqs
// per partition and drops repeats, so its clients get every status of
// every order once, in each partition's order, across the kill.

#include <gtest/gtest.h>

#include <csignal>

#include <boost/json.hpp>
#include <map>
#include <set>

#include "cluster_nodes.h"
#include "redis_server.h"

namespace oee::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

struct Seen {
  std::map<std::string, int> messages;  // per order
  std::set<std::string> finished;
};

// Reads a gateway's stream of every order until each of `ids` has ended;
// each partition's seqs must rise (a repeat or a step back fails).
Seen read_every_order(WsClient& ws, const std::set<std::string>& ids) {
  Seen seen;
  std::map<std::uint64_t, StreamAt> last;
  const auto deadline = std::chrono::steady_clock::now() + 90s;
  while (seen.finished.size() < ids.size() && std::chrono::steady_clock::now() < deadline) {
    auto text = ws.read(30s);
    if (!text) break;
    const auto v = json::parse(*text).as_object();
    if (v.contains("type")) continue;
    const std::string id(v.at("orderId").as_string());
    if (!ids.contains(id)) continue;
    EXPECT_TRUE(v.contains("partition")) << *text;
    const auto p = v.contains("partition") ? v.at("partition").to_number<std::uint64_t>() : 0;
    EXPECT_GT(stream_at(v), last[p]) << "partition " << p << ": a repeat or a step back reached the client";
    last[p] = std::max(last[p], stream_at(v));
    ++seen.messages[id];
    if (v.contains("terminal")) seen.finished.insert(id);
  }
  EXPECT_EQ(seen.finished.size(), ids.size()) << "orders whose end never reached the gateway's client";
  return seen;
}

// A gateway in front of the node on `core_port`, fed by `redis_url`.
std::vector<std::string> gateway_args(unsigned short core_port, const std::string& redis_url) {
  return {"--role", "gateway", "--core-url", "http://127.0.0.1:" + std::to_string(core_port), "--redis-url", redis_url};
}

// Each of `ids` reached the client with as many messages as its events in
// the log (on the node `client` asks).
void expect_every_event_seen(HttpClient& client, const Seen& seen, const std::set<std::string>& ids) {
  for (const auto& id : ids) {
    const auto events = client.get("/api/orders/" + id + "/events");
    ASSERT_EQ(events.status, 200) << events.body;
    EXPECT_EQ(seen.messages.count(id) ? seen.messages.at(id) : 0,
              static_cast<int>(events.json().at("events").as_array().size()))
        << "order " << id << ": the gateway's client missed some of its events";
  }
}

TEST(ClusterNodes, AGatewayStreamsEveryPartitionFromItsOwnerAcrossAKill) {
  testing::RedisServer redis;
  TwoNodes nodes({"--sim", "realistic", "--sim-latency-scale", "0.3", "--fail-rate", "0", "--redis-url", redis.url()});
  auto [nats, a, b] = nodes.parts();
  ServerProcess gateway(nodes.dir.path() / "gw", gateway_args(b.port(), redis.url()));
  gateway.start();
  HttpClient gw(gateway.port()), client_b(b.port());
  ASSERT_TRUE(eventually([&] { return gw.get("/health").json().at("redis").at("status") == "ok"; }, 20s))
      << gateway.stderr_tail();

  WsClient live(gateway.port(), "/ws");
  live.send(R"({"type":"subscribe","all":true})");
  const auto subscribed = live.read(10s);
  ASSERT_TRUE(subscribed && subscribed->find("subscribed") != std::string::npos) << subscribed.value_or("nothing");

  std::set<std::string> ids;
  for (const auto& id : submit(a.port(), 8)) ids.insert(id);
  for (const auto& id : submit(b.port(), 8)) ids.insert(id);
  ASSERT_EQ(ids.size(), 16u);
  a.kill9();  // mid-flight: b takes a's partitions over, and their publishing

  const auto seen = read_every_order(live, ids);
  expect_every_event_seen(client_b, seen, ids);
  expect_finished_once(client_b, std::vector<std::string>(ids.begin(), ids.end()));
  // The gateway was fed by Redis, not only by catch-ups from the core, and
  // no partition's seqs had a hole across the kill: its one resync is the
  // one every subscription starts with. (A new owner that published from
  // the head instead of the cursor would leave what the dead one had not
  // published yet as a hole.)
  const auto metrics = gw.get("/metrics").body;
  EXPECT_GT(metric_value(metrics, "oee_gateway_messages_total"), 0);
  EXPECT_EQ(metric_value(metrics, "oee_gateway_resyncs_total"), 1);

  // The gateway learned the core's positions: a client resumes with one.
  std::string from;
  for (std::uint32_t p = 0; p < kPartitions; ++p) {
    if (p > 0) from.push_back(',');
    from.append(std::to_string(p)).append(":1");
  }
  WsClient resumed(gateway.port(), "/ws");
  resumed.send(R"({"type":"subscribe","all":true,"fromSeq":")" + from + R"("})");
  const auto replayed = read_every_order(resumed, ids);
  EXPECT_EQ(replayed.messages, seen.messages);
}

// Orders accepted into a partition whose owner has published nothing of it
// yet (so has stored no cursor), and dies before it does: the next owner
// publishes the partition from where the first owner's publisher began,
// not from its own head, and a subscriber gets those orders' first events.
TEST(ClusterNodes, ANewOwnerPublishesWhatTheDeadOneNeverDidOnAPartitionWithNoCursorYet) {
  testing::RedisServer redis;
  TwoNodes nodes({"--sim", "fast", "--fail-rate", "0", "--redis-url", redis.url()});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  std::set<std::uint32_t> owned_by_a;
  const auto view = client_b.get("/api/cluster").json();
  for (const auto& entry : view.at("partitions").as_array()) {
    if (entry.at("owner") == "a") owned_by_a.insert(entry.at("partition").to_number<std::uint32_t>());
  }
  ASSERT_EQ(owned_by_a.size(), kPartitions / 2) << json::serialize(view);
  // Redis is "ok" on a once the publisher of each partition it holds has
  // connected, and a publisher records where it began before it connects.
  ASSERT_TRUE(eventually([&] { return client_a.get("/health").json().at("redis").at("status") == "ok"; }, 20s));

  ServerProcess gateway(nodes.dir.path() / "gw", gateway_args(b.port(), redis.url()));
  gateway.start();
  HttpClient gw(gateway.port());
  ASSERT_TRUE(eventually([&] { return gw.get("/health").json().at("redis").at("status") == "ok"; }, 20s));
  WsClient live(gateway.port(), "/ws");
  live.send(R"({"type":"subscribe","all":true})");
  const auto subscribed = live.read(10s);
  ASSERT_TRUE(subscribed && subscribed->find("subscribed") != std::string::npos) << subscribed.value_or("nothing");

  // a can publish nothing from here on; b accepts orders into a's
  // partitions before a's lease runs out (2 s), then a dies. Keyed: an
  // unkeyed order would land in one of b's own partitions.
  ::kill(a.pid(), SIGSTOP);
  std::set<std::string> in_a_partitions;
  for (int i = 0; i < 16; ++i) {
    const std::map<std::string, std::string> keyed{{"Content-Type", "application/json"},
                                                   {"Idempotency-Key", "no-cursor-" + std::to_string(i)}};
    const auto res = client_b.request("POST", "/api/orders/execute", order_body("0." + std::to_string(i + 1)), keyed);
    ASSERT_EQ(res.status, 202) << res.body;
    const auto answer = res.json();
    if (owned_by_a.contains(answer.at("partition").to_number<std::uint32_t>())) {
      in_a_partitions.insert(std::string(answer.at("orderId").as_string()));
    }
  }
  a.kill9();
  ASSERT_FALSE(in_a_partitions.empty()) << "no order went to a partition of a's";

  expect_every_event_seen(client_b, read_every_order(live, in_a_partitions), in_a_partitions);
}

}  // namespace
}  // namespace oee::e2e
