// A WebSocket reader that stops reading is dropped with a clear close code,
// its buffer stays bounded, and other clients are unaffected.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;

TEST(Backpressure, SlowReaderIsDroppedAndOthersKeepStreaming) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--ws-queue-limit", "8"});
  server.start();
  HttpClient client(server.port());
  const auto ids = submit_orders(client, 300);
  ASSERT_TRUE(eventually(
      [&] { return client.get("/health").json().at("executor").at("inFlight").to_number<int>() == 0; }, 30s));

  // Subscribing to 300 finished orders replays 1,800 messages at a client
  // with a tiny receive window that reads none of them.
  WsClient slow(server.port(), "/ws", 1024);
  for (const auto& id : ids) slow.send(R"({"type":"subscribe","orderId":")" + id + "\"}");
  ASSERT_TRUE(eventually(
      [&] { return metric_value(client.get("/metrics").body, "oee_websocket_dropped_slow_total") >= 1; }, 20s))
      << "the slow reader was never dropped";

  // Another client is served normally meanwhile.
  const auto res = client.post_json("/api/orders/execute", order_body());
  ASSERT_EQ(res.status, 202);
  WsClient healthy(server.port(), "/api/orders/execute?orderId=" + std::string(res.json().at("orderId").as_string()));
  int statuses = 0;
  bool terminal = false;
  while (auto text = healthy.read(10s)) {
    const auto v = boost::json::parse(*text).as_object();
    if (v.contains("type")) continue;
    ++statuses;
    if (v.contains("terminal")) {
      terminal = true;
      break;
    }
  }
  EXPECT_TRUE(terminal);
  EXPECT_EQ(statuses, 5);

  // The slow reader gets what was already in flight, then a policy close.
  // All 1,800 would be some 400 KB; what may come is the queue (8
  // messages) and what the two sockets' buffers held, a few KB.
  std::size_t drained_bytes = 0;
  while (auto text = slow.read(5s)) drained_bytes += text->size();
  EXPECT_LE(drained_bytes, 64u * 1024) << "the server kept queueing for a reader it should have dropped";
  EXPECT_EQ(slow.close_code(), 1008);
  EXPECT_NE(slow.close_reason().find("slow consumer"), std::string::npos);
}

}  // namespace
}  // namespace oee::e2e
