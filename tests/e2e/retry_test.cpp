// Transient failures are retried with exponential backoff, then the order
// fails for good with its reason and shows up in the dead-letter endpoints.

#include <memory>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;

TEST(Retry, ThreeAttemptsWithBackoffThenDeadLetter) {
  TempDir dir;
  // Every transaction is dropped: each order must use all three attempts.
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--fail-rate", "1"});
  server.start();
  HttpClient client(server.port());
  const auto ids = submit_orders(client, 5);
  for (const auto& id : ids) {
    ASSERT_TRUE(eventually([&] { return client.get("/api/orders/" + id).json().at("terminal").as_bool(); }, 20s));
    const auto state = client.get("/api/orders/" + id).json();
    EXPECT_EQ(state.at("status").as_string(), "failed");
    EXPECT_EQ(state.at("attempt").to_number<int>(), 3);
    EXPECT_NE(std::string(state.at("error").as_string()).find("gave up after 3 attempts"), std::string::npos);

    std::vector<std::string> events;
    std::vector<std::int64_t> delays;  // retryAt minus the failure time
    std::vector<std::string> tx_hashes;
    const auto history = client.get("/api/orders/" + id + "/events").json();
    for (const auto& e : history.at("events").as_array()) {
      events.emplace_back(e.at("event").as_string());
      if (e.at("event") == "attemptFailed") {
        delays.push_back(e.at("retryAt").to_number<std::int64_t>() - e.at("ts").to_number<std::int64_t>());
      }
      if (e.as_object().contains("txHash")) tx_hashes.emplace_back(e.at("txHash").as_string());
    }
    const std::vector<std::string> attempt{"routingStarted", "routed", "txSubmitted"};
    std::vector<std::string> expected{"submitted"};
    for (int a = 0; a < 3; ++a) {
      expected.insert(expected.end(), attempt.begin(), attempt.end());
      expected.emplace_back(a < 2 ? "attemptFailed" : "orderFailed");
    }
    EXPECT_EQ(events, expected) << id;
    ASSERT_EQ(delays.size(), 2u);
    EXPECT_GT(delays[1], delays[0] * 3 / 2) << "backoff must grow (roughly double)";
    ASSERT_EQ(tx_hashes.size(), 3u);
    EXPECT_NE(tx_hashes[0], tx_hashes[1]) << "each attempt sends its own transaction";
    EXPECT_NE(tx_hashes[1], tx_hashes[2]);
  }
  const auto dlq = client.get("/api/dlq").json();
  EXPECT_EQ(dlq.at("count").to_number<int>(), 5);
  const auto stats = client.get("/api/dlq/stats").json();
  EXPECT_EQ(stats.at("failed").to_number<int>(), 5);
  EXPECT_EQ(stats.at("byReason").at("transaction dropped").to_number<int>(), 5);
}

TEST(Retry, OperatorRetrySendsADeadLetterBackThroughTheLog) {
  TempDir dir;
  const auto data = dir.path() / "data";
  std::vector<std::string> ids;
  {
    ServerProcess failing(data, {"--sim", "fast", "--fail-rate", "1"});
    failing.start();
    HttpClient client(failing.port());
    ids = submit_orders(client, 2);
    ASSERT_TRUE(eventually([&] { return client.get("/api/dlq").json().at("count").to_number<int>() == 2; }, 20s));
    EXPECT_EQ(failing.terminate(), 0);
  }
  // The chain recovers; an operator retries one of the two.
  ServerProcess server(data, {"--sim", "fast", "--fail-rate", "0"});
  server.start();
  HttpClient client(server.port());
  const auto retry = client.request("POST", "/api/dlq/" + ids[0] + "/retry", "", {});
  ASSERT_EQ(retry.status, 202) << retry.body;
  ASSERT_TRUE(eventually([&] { return client.get("/api/orders/" + ids[0]).json().at("terminal").as_bool(); }, 20s));
  const auto state = client.get("/api/orders/" + ids[0]).json();
  EXPECT_EQ(state.at("status").as_string(), "confirmed");
  EXPECT_EQ(state.at("attempt").to_number<int>(), 4) << "attempts number on after the retry";
  const auto history = client.get("/api/orders/" + ids[0] + "/events").json();
  std::vector<std::string> tail;
  for (const auto& e : history.at("events").as_array()) tail.emplace_back(e.at("event").as_string());
  ASSERT_GE(tail.size(), 6u);
  EXPECT_EQ(std::vector<std::string>(tail.end() - 6, tail.end()),
            (std::vector<std::string>{"orderFailed", "orderRetried", "routingStarted", "routed", "txSubmitted",
                                      "confirmed"}));
  EXPECT_EQ(client.get("/api/dlq").json().at("count").to_number<int>(), 1);

  EXPECT_EQ(client.request("POST", "/api/dlq/" + ids[0] + "/retry", "", {}).status, 409) << "not failed any more";
  EXPECT_EQ(client.request("POST", "/api/dlq/00000000-0000-4000-8000-000000000000/retry", "", {}).status, 404);
  EXPECT_EQ(client.request("POST", "/api/dlq/nope/retry", "", {}).status, 400);
  EXPECT_EQ(client.get("/api/dlq/" + ids[1] + "/retry").status, 405);
  const auto verify = run({kLogdump, "--data-dir", data.string(), "--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err;
}

// DELETE /api/dlq/{id} and the reference dashboard's DELETE /api/dlq/clear:
// each dismissal is an event; the order stays failed with its history and
// leaves the list, for good (a restart rebuilds nothing else).
TEST(Retry, AnOperatorDismissesDeadLettersThroughTheLog) {
  TempDir dir;
  const auto data = dir.path() / "data";
  std::vector<std::string> ids;
  {
    ServerProcess server(data, {"--sim", "fast", "--fail-rate", "1"});
    server.start();
    HttpClient client(server.port());
    ids = submit_orders(client, 4);
    ASSERT_TRUE(eventually([&] { return client.get("/api/dlq").json().at("count").to_number<int>() == 4; }, 20s));
    auto ws = std::make_unique<WsClient>(server.port(), "/ws");
    ws->send(R"({"type":"subscribe","orderId":")" + ids[0] + "\"}");

    const auto one = client.request("DELETE", "/api/dlq/" + ids[0], "", {});
    ASSERT_EQ(one.status, 200) << one.body;
    EXPECT_EQ(one.json().at("status"), "failed");
    EXPECT_EQ(one.json().at("dismissed"), true);
    const auto state = client.get("/api/orders/" + ids[0]).json();
    EXPECT_EQ(state.at("status"), "failed");
    EXPECT_EQ(state.at("dismissed"), true);
    EXPECT_NE(std::string(state.at("error").as_string()).find("gave up"), std::string::npos) << "the reason stays";
    EXPECT_EQ(client.get("/api/dlq").json().at("count").to_number<int>(), 3);
    // Subscribers see the dismissal as the order's last message.
    bool seen = false;
    while (!seen) {
      const auto text = ws->read(10s);
      ASSERT_TRUE(text) << "no deadLetterDismissed message";
      const auto m = boost::json::parse(*text).as_object();
      seen = m.contains("event") && m.at("event") == "deadLetterDismissed";
      if (seen) {
        EXPECT_EQ(m.at("status"), "failed");
      }
    }

    const auto again = client.request("DELETE", "/api/dlq/" + ids[0], "", {});
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(again.json().at("error").at("code"), "not_dead_lettered");
    EXPECT_EQ(client.request("POST", "/api/dlq/" + ids[0] + "/retry", "", {}).status, 409)
        << "a dismissed order is no longer on the list to retry";
    EXPECT_EQ(client.request("DELETE", "/api/dlq/00000000-0000-4000-8000-000000000000", "", {}).status, 404);
    EXPECT_EQ(client.request("DELETE", "/api/dlq/nope", "", {}).status, 400);
    EXPECT_EQ(client.get("/api/dlq/clear").status, 405);
    EXPECT_EQ(client.request("DELETE", "/api/dlq", "", {}).status, 405);

    const auto cleared = client.request("DELETE", "/api/dlq/clear", "", {});
    ASSERT_EQ(cleared.status, 200) << cleared.body;
    EXPECT_EQ(cleared.json().at("dismissed").to_number<int>(), 3);
    EXPECT_EQ(client.get("/api/dlq").json().at("count").to_number<int>(), 0);
    EXPECT_EQ(client.get("/api/dlq/stats").json().at("failed").to_number<int>(), 0);
    const auto empty = client.request("DELETE", "/api/dlq/clear/failed", "", {});
    ASSERT_EQ(empty.status, 200);
    EXPECT_EQ(empty.json().at("dismissed").to_number<int>(), 0);
    const auto events = client.get("/api/orders/" + ids[3] + "/events").json().at("events").as_array();
    EXPECT_EQ(events.back().at("event"), "deadLetterDismissed");
    EXPECT_EQ(events.at(events.size() - 2).at("event"), "orderFailed");
    // A reference client is not sent the dismissal: it is no new status, and
    // it would read as a second failure with another reason.
    auto compat = std::make_unique<WsClient>(server.port(), "/ws", 0, Dialect::compat);
    for (const auto& id : {ids[1], ids[2]}) {
      compat->send(R"({"type":"subscribe","orderId":")" + id + "\"}");
      for (;;) {
        const auto text = compat->read(10s);
        ASSERT_TRUE(text) << "the stream of " << id << " ended early";
        const auto m = boost::json::parse(*text).as_object();
        ASSERT_NE(m.at("event"), "deadLetterDismissed") << *text;
        if (m.at("orderId").as_string() == id && m.at("event") == "orderFailed") break;
      }
    }
    // Gone before the stop, which would otherwise wait for them to answer
    // its close frames.
    ws.reset();
    compat.reset();
    EXPECT_EQ(server.terminate(), 0) << server.stderr_tail();
  }
  const auto verify = run({kLogdump, "--data-dir", data.string(), "--verify"});
  EXPECT_EQ(verify.exit_code, 0) << verify.err << verify.out;

  ServerProcess server(data, {"--sim", "fast", "--fail-rate", "1"});
  server.start();
  HttpClient client(server.port());
  EXPECT_EQ(client.get("/api/dlq").json().at("count").to_number<int>(), 0) << "dismissals survive a restart";
  for (const auto& id : ids) {
    EXPECT_EQ(client.get("/api/orders/" + id).json().at("dismissed"), true) << id;
  }
  // A new failure is a new dead letter.
  ASSERT_EQ(client.post_json("/api/orders/execute", order_body()).status, 202);
  ASSERT_TRUE(eventually([&] { return client.get("/api/dlq").json().at("count").to_number<int>() == 1; }, 20s));
}

}  // namespace
}  // namespace oee::e2e
