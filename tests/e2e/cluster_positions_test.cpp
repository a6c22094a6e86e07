// Positions in a cluster's log go partition by partition: seqs of
// different partitions do not compare, so the stream of every order, its
// resume point and the pages of /api/events name a seq per partition
// (p:seq,p:seq), and every event says which partition it is in.

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <limits>
#include <map>
#include <set>
#include <vector>

#include "cluster_nodes.h"

namespace oee::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

struct Submitted {
  std::map<std::string, std::uint64_t> partition_of;  // order id -> the 202's partition
};

Submitted submit_to_both(ServerProcess& a, ServerProcess& b, int each) {
  Submitted out;
  for (auto* node : {&a, &b}) {
    HttpClient client(node->port());
    for (int i = 0; i < each; ++i) {
      const auto res = client.post_json("/api/orders/execute", order_body("0." + std::to_string(i + 1)));
      EXPECT_EQ(res.status, 202) << res.body;
      if (res.status != 202) continue;
      const auto answer = res.json();
      const auto& o = answer.as_object();
      const auto p = o.at("partition").to_number<std::uint64_t>();
      EXPECT_LT(p, kPartitions);
      out.partition_of.emplace(std::string(o.at("orderId").as_string()), p);
    }
  }
  return out;
}

// Reads status messages until every order in `orders` has had its terminal
// one; checks each message's partition and that each partition's messages
// come in stream order, (seq, event), each once (a record's several messages
// share its seq). The messages per order, or a failure.
std::map<std::string, int> read_until_finished(WsClient& ws, const Submitted& orders) {
  std::map<std::string, int> messages;
  std::set<std::string> finished;
  std::map<std::uint64_t, StreamAt> last;  // partition -> where its stream stands
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (finished.size() < orders.partition_of.size() && std::chrono::steady_clock::now() < deadline) {
    auto text = ws.read(20s);
    if (!text) break;
    const json::value m = json::parse(*text);
    const auto& v = m.as_object();
    if (v.contains("type")) continue;
    const std::string id(v.at("orderId").as_string());
    const auto it = orders.partition_of.find(id);
    if (it == orders.partition_of.end()) continue;  // an order of an earlier round
    EXPECT_TRUE(v.contains("partition")) << *text;
    if (!v.contains("partition")) continue;
    const auto p = v.at("partition").to_number<std::uint64_t>();
    EXPECT_EQ(p, it->second) << "order " << id << " is in partition " << it->second;
    const auto at = stream_at(m);
    EXPECT_GT(at, last[p]) << "partition " << p << " went back or repeated";
    last[p] = at;
    ++messages[id];
    if (v.contains("terminal")) finished.insert(id);
  }
  EXPECT_EQ(finished.size(), orders.partition_of.size()) << "orders whose end never came on the stream";
  return messages;
}

std::string from_the_start() {
  std::string out;
  for (std::uint32_t p = 0; p < kPartitions; ++p) {
    if (p > 0) out.push_back(',');
    out.append(std::to_string(p)).append(":1");
  }
  return out;
}

TEST(ClusterNodes, TheStreamOfEveryOrderAndItsPagesGoPartitionByPartition) {
  TwoNodes nodes({"--sim", "fast", "--fail-rate", "0"});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());

  // Live: every order's every status, whichever node executes it, each
  // partition's in seq order.
  WsClient live(b.port(), "/ws");
  live.send(R"({"type":"subscribe","all":true})");
  const auto subscribed = live.read(10s);
  ASSERT_TRUE(subscribed && subscribed->find("subscribed") != std::string::npos) << subscribed.value_or("nothing");
  const auto orders = submit_to_both(a, b, 8);
  ASSERT_EQ(orders.partition_of.size(), 16u);
  std::set<std::uint64_t> used;
  for (const auto& [id, p] : orders.partition_of) used.insert(p);
  ASSERT_GT(used.size(), 1u) << "16 orders in one partition: nothing here would compare seqs across partitions";
  const auto live_messages = read_until_finished(live, orders);
  for (const auto& [id, p] : orders.partition_of) {
    const auto events = client_a.get("/api/orders/" + id + "/events");
    ASSERT_EQ(events.status, 200) << events.body;
    EXPECT_EQ(live_messages.count(id) ? live_messages.at(id) : 0,
              static_cast<int>(events.json().at("events").as_array().size()))
        << "order " << id << ": the live stream missed some of its events";
    const auto order = client_b.get("/api/orders/" + id);
    EXPECT_EQ(order.json().at("partition").to_number<std::uint64_t>(), p);
  }

  // Resumed from a position: the past of every partition, then live.
  WsClient resumed(a.port(), "/ws");
  resumed.send(R"({"type":"subscribe","all":true,"fromSeq":")" + from_the_start() + R"("})");
  const auto replayed = read_until_finished(resumed, orders);
  EXPECT_EQ(replayed, live_messages);

  // A bare number names no position in a cluster.
  WsClient bare(a.port(), "/ws");
  bare.send(R"({"type":"subscribe","all":true,"fromSeq":5})");
  const auto refused = bare.read(10s);
  ASSERT_TRUE(refused);
  EXPECT_NE(refused->find("invalid_from_seq"), std::string::npos) << *refused;
  EXPECT_EQ(client_a.get("/api/events?fromSeq=5").status, 400);
  EXPECT_EQ(client_a.get("/api/events?fromSeq=0:1,0:2").status, 400) << "a partition named twice";
  EXPECT_EQ(client_a.get("/api/events?fromSeq=" + std::to_string(kPartitions) + ":1").status, 400);

  // Pages: `next` is where the next one starts, until nothing is left.
  std::map<std::string, int> paged;
  std::string from = from_the_start();
  for (int page = 0; page < 1000; ++page) {
    const auto res = client_b.get("/api/events?limit=7&fromSeq=" + from);
    ASSERT_EQ(res.status, 200) << res.body;
    const auto parsed = res.json();
    const auto& body = parsed.as_object();
    ASSERT_EQ(body.at("head").as_array().size(), kPartitions);
    const auto& events = body.at("events").as_array();
    for (const auto& e : events) {
      const std::string id(e.at("orderId").as_string());
      if (orders.partition_of.contains(id)) ++paged[id];
    }
    std::string next(body.at("next").as_string());
    if (next == from) break;
    from = std::move(next);
  }
  EXPECT_EQ(paged, live_messages);

  // The orders as they stood at a position: every one once, newest first
  // across partitions, a page at a time; each alone as of its partition's seq.
  const auto events = client_a.get("/api/events?limit=1");
  const auto heads = events.json().at("head").as_array();
  std::string as_of;
  for (std::size_t p = 0; p < heads.size(); ++p) {
    if (p > 0) as_of.push_back(',');
    as_of.append(std::to_string(p)).append(":").append(std::to_string(heads[p].to_number<std::uint64_t>()));
  }
  std::vector<std::string> listed;
  std::int64_t last_created = std::numeric_limits<std::int64_t>::max();
  std::string target = "/api/orders?limit=5&asOf=" + as_of;
  for (int page = 0; page < 100; ++page) {
    const auto res = client_b.get(target);
    ASSERT_EQ(res.status, 200) << res.body;
    const auto body = res.json();
    EXPECT_EQ(body.at("asOf").as_string(), as_of);
    for (const auto& o : body.at("orders").as_array()) {
      const std::string id(o.at("orderId").as_string());
      if (!orders.partition_of.contains(id)) continue;
      listed.push_back(id);
      EXPECT_EQ(o.at("status").as_string(), "confirmed");
      const auto created = o.at("createdAt").to_number<std::int64_t>();
      EXPECT_LE(created, last_created) << "newest first across partitions";
      last_created = created;
    }
    if (body.at("next").is_null()) break;
    target = "/api/orders?limit=5&asOf=" + as_of + "&before=" + std::string(body.at("next").as_string());
  }
  EXPECT_EQ(listed.size(), orders.partition_of.size());
  EXPECT_EQ(std::set<std::string>(listed.begin(), listed.end()).size(), listed.size()) << "an order listed twice";
  EXPECT_EQ(client_a.get("/api/orders?asOf=5").status, 400) << "a bare number is no position in a cluster";
  EXPECT_EQ(client_a.get("/api/orders?asOf=0:999999999").status, 400) << "past the partition's end";
  const auto& [first_id, first_partition] = *orders.partition_of.begin();
  const auto first_events = client_a.get("/api/orders/" + first_id + "/events").json();
  const auto submitted_at = first_events.at("events").as_array().front().at("seq").to_number<std::uint64_t>();
  const auto then = client_b.get("/api/orders/" + first_id + "?asOf=" + std::to_string(submitted_at));
  ASSERT_EQ(then.status, 200) << then.body;
  EXPECT_EQ(then.json().at("status").as_string(), "pending");
  EXPECT_EQ(then.json().at("partition").to_number<std::uint64_t>(), first_partition);
}

}  // namespace
}  // namespace oee::e2e
