// Orders through the real server: HTTP submit, WebSocket streams on every
// path, and the REST view agreeing with the stream.

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "harness.h"

namespace oee::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

struct Submitted {
  std::string id;
  std::uint64_t seq = 0;
};

std::vector<Submitted> submit_concurrently(unsigned short port, int orders, int threads) {
  std::vector<Submitted> out;
  std::mutex mu;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      HttpClient client(port);
      for (int i = t; i < orders; i += threads) {
        // Alternate the canonical path and the reference clients' alias.
        const auto res = i % 2 == 0
                             ? client.post_json("/api/orders/execute", order_body("1." + std::to_string(i)))
                             : client.post_json("/order", R"({"tokenIn":"SOL","tokenOut":"USDC","amount":")" +
                                                              std::to_string(i + 1) + R"(","max_slippage":0.05})");
        ASSERT_EQ(res.status, 202) << res.body;
        const auto v = res.json();
        std::lock_guard lock(mu);
        out.push_back({std::string(v.at("orderId").as_string()), v.at("seq").to_number<std::uint64_t>()});
      }
    });
  }
  for (auto& th : pool) th.join();
  return out;
}

// Reads one order's stream until its terminal message; returns status messages.
std::vector<json::object> follow(WsClient& ws) {
  std::vector<json::object> messages;
  for (;;) {
    auto text = ws.read(20s);
    if (!text) break;
    auto v = json::parse(*text).as_object();
    if (v.contains("type")) continue;  // control messages: subscribed, ...
    messages.push_back(v);
    if (v.contains("terminal")) break;
  }
  return messages;
}

TEST(OrderFlow, HundredOrdersStreamedOnEveryWebSocketPath) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "realistic", "--fail-rate", "0"});
  server.start();
  const auto orders = submit_concurrently(server.port(), 100, 8);
  ASSERT_EQ(orders.size(), 100u);

  std::atomic<int> checked{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < 10; ++t) {
    pool.emplace_back([&, t] {
      // Open all of this thread's streams first, so most events arrive live.
      std::vector<std::unique_ptr<WsClient>> streams;
      for (int i = t; i < 100; i += 10) {
        const auto& id = orders[static_cast<std::size_t>(i)].id;
        switch (i % 3) {
          case 0:
            streams.push_back(std::make_unique<WsClient>(server.port(), "/ws"));
            streams.back()->send(R"({"type":"subscribe","orderId":")" + id + "\"}");
            break;
          case 1:
            streams.push_back(std::make_unique<WsClient>(server.port(), "/api/orders/execute?orderId=" + id));
            break;
          default:
            streams.push_back(std::make_unique<WsClient>(server.port(), "/order/" + id));
        }
      }
      HttpClient client(server.port());
      for (int k = 0, i = t; i < 100; i += 10, ++k) {
        const auto& id = orders[static_cast<std::size_t>(i)].id;
        const auto messages = follow(*streams[static_cast<std::size_t>(k)]);
        std::vector<std::string> statuses;
        // In stream order, (seq, event), each once: a routedAndSent record's
        // routingStarted, routed and txSubmitted share its seq.
        StreamAt last{};
        for (const auto& m : messages) {
          EXPECT_EQ(m.at("orderId").as_string(), id);
          const auto at = stream_at(json::value(m));
          EXPECT_GT(at, last) << "seq order for " << id;
          last = at;
          statuses.emplace_back(m.at("status").as_string());
        }
        EXPECT_EQ(statuses, (std::vector<std::string>{"pending", "routing", "building", "submitted", "confirmed"}))
            << "order " << id << " path " << i % 3;
        ASSERT_FALSE(messages.empty());
        const auto& confirmed = messages.back();
        ASSERT_TRUE(confirmed.contains("txHash"));
        ASSERT_TRUE(confirmed.contains("executedPrice"));
        EXPECT_GT(std::stod(std::string(confirmed.at("executedPrice").as_string())), 0.0);

        const auto state = client.get("/api/orders/" + id);
        ASSERT_EQ(state.status, 200);
        const auto s = state.json().as_object();
        EXPECT_EQ(s.at("status").as_string(), "confirmed");
        EXPECT_EQ(s.at("txHash"), confirmed.at("txHash"));
        EXPECT_EQ(s.at("executedPrice"), confirmed.at("executedPrice"));
        EXPECT_EQ(s.at("amountOut"), confirmed.at("amountOut"));
        EXPECT_EQ(s.at("seq").to_number<std::uint64_t>(), last.seq);
        if (i % 3 != 0) {
          // Per-order paths close once the order is terminal.
          EXPECT_FALSE(streams[static_cast<std::size_t>(k)]->read(5s).has_value());
          EXPECT_EQ(streams[static_cast<std::size_t>(k)]->close_code(), 1000);
        }
        checked.fetch_add(1);
      }
    });
  }
  for (auto& th : pool) th.join();
  EXPECT_EQ(checked.load(), 100);

  // The engine's own share of each order's life: the realistic profile
  // waits at least 150 + 20 + 2,000 ms per order on purpose, and that part
  // must not count as overhead.
  // Each run is measured once its terminal event is durable, which its
  // streams may show a moment before.
  HttpClient scraper(server.port());
  std::string metrics;
  EXPECT_TRUE(eventually(
      [&] {
        metrics = scraper.get("/metrics").body;
        return metric_value(metrics, "oee_order_overhead_seconds_count") == 100;
      },
      10s))
      << "overhead measured for " << metric_value(metrics, "oee_order_overhead_seconds_count") << " of 100 orders";
  const double lifetime = metric_value(metrics, "oee_order_latency_seconds_sum");
  const double overhead = metric_value(metrics, "oee_order_overhead_seconds_sum");
  EXPECT_GE(overhead, 0);
  EXPECT_GE(lifetime - overhead, 100 * 2.1) << "simulated waits counted as overhead";
  EXPECT_EQ(server.terminate(), 0) << server.stderr_tail();
}

TEST(OrderFlow, SubscribeFromSeqReplaysOnlyLaterEvents) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast"});
  server.start();
  HttpClient client(server.port());
  const auto res = client.post_json("/api/orders/execute", order_body());
  ASSERT_EQ(res.status, 202);
  const std::string id(res.json().at("orderId").as_string());
  ASSERT_TRUE(eventually([&] { return client.get("/api/orders/" + id).json().at("terminal").as_bool(); }, 10s));
  const auto events = client.get("/api/orders/" + id + "/events").json().at("events").as_array();
  // Five messages from three records: submitted; routingStarted, routed and
  // txSubmitted (one routedAndSent, one seq); confirmed.
  ASSERT_EQ(events.size(), 5u);
  const auto seq_of = [](const json::value& m) { return m.at("seq").to_number<std::uint64_t>(); };
  const auto submitted = seq_of(events[0]), sent = seq_of(events[1]), confirmed = seq_of(events[4]);
  ASSERT_LT(submitted, sent);
  ASSERT_EQ(seq_of(events[2]), sent);
  ASSERT_EQ(seq_of(events[3]), sent);
  ASSERT_LT(sent, confirmed);

  // From the second record's seq: every message of it and of what follows,
  // nothing of the submission before it.
  WsClient ws(server.port(), "/ws");
  ws.send(R"({"type":"subscribe","orderId":")" + id + R"(","fromSeq":)" + std::to_string(sent) + "}");
  const auto messages = follow(ws);
  std::vector<std::pair<std::uint64_t, std::string>> got;
  for (const auto& m : messages) {
    got.emplace_back(m.at("seq").to_number<std::uint64_t>(), std::string(m.at("event").as_string()));
  }
  const std::vector<std::pair<std::uint64_t, std::string>> want{
      {sent, "routingStarted"}, {sent, "routed"}, {sent, "txSubmitted"}, {confirmed, "confirmed"}};
  EXPECT_EQ(got, want);
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages.back().at("status").as_string(), "confirmed");

  // From the last record's seq: its one message only.
  WsClient last(server.port(), "/ws");
  last.send(R"({"type":"subscribe","orderId":")" + id + R"(","fromSeq":)" + std::to_string(confirmed) + "}");
  const auto tail = follow(last);
  ASSERT_EQ(tail.size(), 1u);
  EXPECT_EQ(tail[0].at("seq").to_number<std::uint64_t>(), confirmed);
  EXPECT_EQ(tail[0].at("event").as_string(), "confirmed");
}

TEST(OrderFlow, ThousandConcurrentOrdersInFastModeAllConfirm) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast"});
  server.start();
  const auto orders = submit_concurrently(server.port(), 1000, 16);
  ASSERT_EQ(orders.size(), 1000u);
  HttpClient client(server.port());
  ASSERT_TRUE(executor_idle(client, 60s));
  int confirmed = 0, split = 0;
  std::uint64_t records = 0;
  for (const auto& o : orders) {
    const auto r = client.get("/api/orders/" + o.id);
    ASSERT_EQ(r.status, 200) << o.id;
    const auto order = r.json();
    confirmed += order.at("status").as_string() == "confirmed";
    // Five statuses per order (seven for one split across both venues: a
    // leg's outcome each) from three durable records (five): the
    // submission, the route with its transaction, the outcome.
    const bool two_legs = order.at("legs").as_array().size() == 2;
    split += two_legs ? 1 : 0;
    const json::value events = client.get("/api/orders/" + o.id + "/events").json();
    std::vector<std::string> steps;
    std::set<std::uint64_t> seqs;
    for (const auto& e : events.at("events").as_array()) {
      steps.emplace_back(e.at("status").as_string());
      seqs.insert(e.at("seq").to_number<std::uint64_t>());
    }
    const std::vector<std::string> expected =
        two_legs ? std::vector<std::string>{"pending", "routing", "building", "submitted", "submitted", "submitted",
                                            "confirmed"}
                 : std::vector<std::string>{"pending", "routing", "building", "submitted", "confirmed"};
    EXPECT_EQ(steps, expected) << o.id;
    EXPECT_EQ(seqs.size(), two_legs ? 5u : 3u) << o.id;
    records += seqs.size();
  }
  EXPECT_EQ(confirmed, 1000);
  RecordProperty("split", split);  // how many depends on how far the drifting pools' prices are apart
  // And nothing else in the log.
  EXPECT_EQ(client.get("/health").json().at("log").at("head").to_number<std::uint64_t>(), records);
}

// Options take effect under the names the server reports them by: the
// harness runs at --log-level warn, so neither the start, an order's
// routing nor the stop shows an info line. A value that is not one is
// refused before anything starts.
TEST(OrderFlow, OptionsTakeEffectAndBadValuesAreRefusedBeforeStart) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--fail-rate", "0", "--durability", "async"});
  server.start();
  HttpClient client(server.port());
  const auto health = client.get("/health").json();
  EXPECT_EQ(health.at("log").at("durability"), "async");
  EXPECT_EQ(health.at("executor").at("sim"), "fast");
  const auto ids = submit_orders(client, 3);
  ASSERT_TRUE(
      eventually([&] { return client.get("/api/orders/" + ids.back()).json().at("status") == "confirmed"; }, 20s));
  EXPECT_EQ(server.terminate(), 0);
  EXPECT_EQ(server.stdout_tail().find("[info]"), std::string::npos) << server.stdout_tail();

  for (const auto& [flag, value] : {std::pair{"--log-level", "verbose"}, std::pair{"--sim", "slow"},
                                    std::pair{"--durability", "none"}, std::pair{"--role", "edge"}}) {
    const auto bad = run({kServer, "--data-dir", (dir.path() / "other").string(), "--port", "0", flag, value});
    EXPECT_GT(bad.exit_code, 0) << flag << " " << value;  // refused, not killed by a signal
    EXPECT_NE((bad.out + bad.err).find(flag), std::string::npos) << bad.out << bad.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "other")) << "a refused start touched the data directory";
}

}  // namespace
}  // namespace oee::e2e
