// Cluster mode under races, with real nodes on a real 3-server NATS
// cluster: every event is decided on what it follows. A cancel sent to
// one node while the other executes the order either wins (200, and the
// order ends cancelled with nothing after it and nothing on the chain) or
// loses (409 too_late, and the order executes once); an amendment that
// extends a waiting order's expiry, sent to the node that does not execute
// it as the order expires, either wins (200, and the order lives to its new
// expiry) or loses (409 too_late, expired at the old one), and so does one
// that moves a waiting order's floor out of reach as its trigger fires; an
// event illegal in its order's state, as an older build could have
// written, is skipped for that order alone and never stops its partition.

#include <fmt/format.h>

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <thread>

#include <boost/json.hpp>

#include "cluster_nodes.h"
#include "core/domain/order_events.h"
#include "core/wire/event_codec.h"
#include "eventlog/jetstream/batch_codec.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/record_codec.h"
#include "order_reads.h"

namespace oee::e2e {
namespace {

namespace json = boost::json;
namespace js = eventlog::jetstream;
using namespace std::chrono_literals;

std::string error_code_of(const HttpResponse& res) {
  if (res.status < 400) return {};
  return std::string(res.json().at("error").at("code").as_string());
}

// Each market order is submitted to one node and cancelled through the
// other a moment later (0 to 350 ms: while it is pending, routing or
// already sent), so the cancel races the executor of the order's
// partition, on either node.
TEST(ClusterNodes, ACancelAnswered200NeverExecutesAndOneAnswered409ExecutesOnce) {
  TwoNodes nodes({"--sim", "realistic", "--fail-rate", "0"});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  std::mt19937 rng(20261127);
  const std::string order = R"({"inputToken":"SOL","outputToken":"USDC","amount":"0.5","slippage":0.05})";
  struct Raced {
    std::string id;
    int cancel_status = 0;
    std::string body;
  };
  std::vector<Raced> raced;
  for (int i = 0; i < 80; ++i) {
    auto& submit_via = i % 2 == 0 ? client_a : client_b;
    auto& cancel_via = i % 2 == 0 ? client_b : client_a;
    const auto res = submit_via.post_json("/api/orders/execute", order);
    ASSERT_EQ(res.status, 202) << res.body;
    const std::string id(res.json().at("orderId").as_string());
    // The delay is the race under test, not a synchronisation.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 350)(rng)));
    const auto cancel = cancel_via.request("DELETE", "/api/orders/" + id, "", {});
    raced.push_back(Raced{id, cancel.status, cancel.body});
  }
  std::vector<std::string> ids;
  for (const auto& r : raced) ids.push_back(r.id);
  const auto ended = [&](const std::string& id) {
    const auto status = status_of(client_a, id);
    return status == "confirmed" || status == "cancelled" || status == "failed";
  };
  ASSERT_TRUE(eventually([&] { return std::all_of(ids.begin(), ids.end(), ended); }, 90s)) << [&] {
    std::string unfinished;
    for (const auto& r : raced) {
      if (ended(r.id)) continue;
      unfinished += r.id + " " + status_of(client_a, r.id) + " (cancel " + std::to_string(r.cancel_status) + " " + r.body + "): " +
                    client_a.get("/api/orders/" + r.id + "/events").body + "\n";
    }
    return unfinished + a.stdout_tail() + b.stdout_tail();
  }();

  ChainBucket chain(nats);
  int won = 0, lost = 0;
  for (const auto& r : raced) {
    const auto names = event_names(client_a, r.id);
    const auto sent = signatures(client_a, r.id);
    if (r.cancel_status == 200) {
      ++won;
      ASSERT_FALSE(names.empty());
      EXPECT_EQ(names.back(), "cancelled") << r.id << ": events after the cancel answered 200";
      EXPECT_EQ(std::count(names.begin(), names.end(), "cancelled"), 1) << r.id;
      EXPECT_EQ(landed_signatures(chain, r.id, sent), 0) << r.id << ": executed after its cancel was answered 200";
    } else {
      ++lost;
      const HttpResponse res{r.cancel_status, r.body, {}};
      EXPECT_EQ(r.cancel_status, 409) << r.id << " " << r.body;
      EXPECT_EQ(error_code_of(res), "too_late") << r.body;
      EXPECT_EQ(status_of(client_a, r.id), "confirmed") << r.id;
      EXPECT_EQ(landed_signatures(chain, r.id, sent), 1) << r.id;
    }
  }
  // Both outcomes happened, or the race was not run.
  EXPECT_GE(won, 5);
  EXPECT_GE(lost, 5);
  for (auto* node : {&a, &b}) {
    EXPECT_EQ(node->stdout_tail().find("does not fold"), std::string::npos) << node->stdout_tail();
    EXPECT_EQ(node->stdout_tail().find("stopped:"), std::string::npos) << node->stdout_tail();
  }
}

std::int64_t ts_of(const json::value& event) {
  const auto& ts = event.at("ts");
  return ts.is_string() ? std::stoll(std::string(ts.as_string())) : ts.to_number<std::int64_t>();
}

// Waiting limit orders that never fire, each to expire a second after it
// is sent; about then, an amendment that puts the expiry 3 s later is sent
// to the node that does not execute the order, so it is forwarded to the
// owner while the owner's book expires the order.
TEST(ClusterNodes, AnExtendingAmendmentRacingTheExpiryOnTheOtherNodeEndsOneWay) {
  TwoNodes nodes({"--sim", "fast"});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  std::mt19937 rng(20261128);
  struct Raced {
    std::string id;
    std::int64_t old_expiry_ms = 0;
    std::int64_t new_expiry_ms = 0;
    int status = 0;
    std::string body;
  };
  std::vector<Raced> raced;
  for (int i = 0; i < 40; ++i) {
    auto& submit_via = i % 2 == 0 ? client_a : client_b;
    Raced r;
    r.old_expiry_ms = now_ms() + 1000;
    const auto res = submit_via.post_json(
        "/api/orders/execute", R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"limitPrice":"100000",)"
                               R"("expiresAt":)" + std::to_string(r.old_expiry_ms) + "}");
    ASSERT_EQ(res.status, 202) << res.body;
    r.id = std::string(res.json().at("orderId").as_string());
    const std::string owner = owner_of(client_a, res.json().at("partition").to_number<std::uint32_t>());
    ASSERT_TRUE(owner == "a" || owner == "b") << owner;
    auto& amend_via = owner == "a" ? client_b : client_a;
    // The delay is the race under test, not a synchronisation.
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(600, 1300)(rng)));
    r.new_expiry_ms = r.old_expiry_ms + 3000;
    const auto amend = amend_via.request("PATCH", "/api/orders/" + r.id,
                                         R"({"expiresAt":)" + std::to_string(r.new_expiry_ms) + "}");
    r.status = amend.status;
    r.body = amend.body;
    raced.push_back(std::move(r));
  }
  const auto expired = [&](const std::string& id) { return status_of(client_a, id) == "expired"; };
  ASSERT_TRUE(eventually([&] { return std::all_of(raced.begin(), raced.end(), [&](const Raced& r) { return expired(r.id); }); },
                         60s));
  int won = 0, lost = 0;
  for (const auto& r : raced) {
    const json::value answer = client_a.get("/api/orders/" + r.id + "/events").json();
    const auto& events = answer.at("events").as_array();
    std::vector<std::string> names;
    for (const auto& e : events) names.emplace_back(e.at("event").as_string());
    ASSERT_FALSE(names.empty());
    EXPECT_EQ(names.back(), "expired") << r.id;
    EXPECT_EQ(std::count(names.begin(), names.end(), "expired"), 1) << r.id;
    const std::int64_t expired_at_ms = ts_of(events.back()) / 1'000'000;
    if (r.status == 200) {
      ++won;
      EXPECT_EQ(std::count(names.begin(), names.end(), "amended"), 1) << r.id;
      EXPECT_GE(expired_at_ms, r.new_expiry_ms) << r.id << ": expired before the expiry its amendment was answered 200 with";
    } else {
      ++lost;
      EXPECT_EQ(r.status, 409) << r.id << " " << r.body;
      EXPECT_EQ(error_code_of(HttpResponse{r.status, r.body, {}}), "too_late") << r.body;
      EXPECT_EQ(std::count(names.begin(), names.end(), "amended"), 0) << r.id << ": amended after it was answered 409";
      EXPECT_LT(expired_at_ms, r.new_expiry_ms) << r.id;
    }
  }
  expect_both_outcomes(won, lost, a, b);
  EXPECT_GT(metric_value(client_a.get("/metrics").body, "oee_forwarded_writes_total") +
                metric_value(client_b.get("/metrics").body, "oee_forwarded_writes_total"),
            0.0)
      << "no amendment was sent to its owner by the other node";
}

// Limit orders wait far below their floor; the price is then set so that
// every one fires, while each is amended, through the node that does not
// execute it, to a floor no price reaches: each amendment at its own
// moment, from 200 ms before the price moves to 200 ms after. One answered
// 200 keeps its order waiting, never fired; one answered 409 too_late lost
// to the trigger: its order executes once and is never amended.
TEST(ClusterNodes, AnAmendmentRacingAFiringTriggerOnTheOtherNodeEndsOneWay) {
  TwoNodes nodes({"--sim", "fast", "--fail-rate", "0", "--sim-control", "--sim-launch-every", "0"});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  struct Raced {
    std::string id;
    unsigned short amend_port = 0;
    int status = 0;
    std::string body;
  };
  std::vector<Raced> raced(30);
  for (std::size_t i = 0; i < raced.size(); ++i) {
    auto& submit_via = i % 2 == 0 ? client_a : client_b;
    const auto res = submit_via.post_json(
        "/api/orders/execute", R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":"1","minAmountOut":"1000"})");
    ASSERT_EQ(res.status, 202) << res.body;
    raced[i].id = std::string(res.json().at("orderId").as_string());
    const std::string owner = owner_of(client_a, res.json().at("partition").to_number<std::uint32_t>());
    ASSERT_TRUE(owner == "a" || owner == "b") << owner;
    raced[i].amend_port = owner == "a" ? b.port() : a.port();
  }
  for (const auto& r : raced) ASSERT_TRUE(reaches(client_a, r.id, "open", 20s)) << r.id;

  std::mt19937 rng(20261129);
  const auto start = std::chrono::steady_clock::now() + 300ms;
  std::vector<std::thread> amenders;
  for (auto& r : raced) {
    const auto at = start + std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(rng));
    amenders.emplace_back([&r, at] {
      HttpClient client(r.amend_port);
      // The moment is the race under test, not a synchronisation.
      std::this_thread::sleep_until(at);
      // 503: the order is between its trigger and its send; asked again,
      // as a client would.
      for (int tries = 0; tries < 50; ++tries) {
        const auto res = client.request("PATCH", "/api/orders/" + r.id, R"({"minAmountOut":"1000000"})");
        r.status = res.status;
        r.body = res.body;
        if (res.status != 503) return;
        std::this_thread::sleep_for(50ms);
      }
    });
  }
  std::this_thread::sleep_until(start + 200ms);
  const auto set = client_a.post_json("/api/sim/prices", R"({"pair":"SOL/USDC","price":"2000"})");
  for (auto& t : amenders) t.join();
  ASSERT_EQ(set.status, 200) << set.body;

  int won = 0, lost = 0;
  for (const auto& r : raced) {
    if (r.status == 200) continue;
    EXPECT_EQ(r.status, 409) << r.id << " " << r.body;
    EXPECT_EQ(error_code_of(HttpResponse{r.status, r.body, {}}), "too_late") << r.body;
    EXPECT_TRUE(reaches(client_a, r.id, "confirmed", 30s)) << r.id << " " << status_of(client_a, r.id);
  }
  ChainBucket chain(nats);
  for (const auto& r : raced) {
    const auto names = event_names(client_a, r.id);
    const auto amended = std::count(names.begin(), names.end(), "amended");
    const auto sent = signatures(client_a, r.id);
    if (r.status == 200) {
      ++won;
      EXPECT_EQ(status_of(client_a, r.id), "open") << r.id << ": fired after its amendment was answered 200";
      EXPECT_EQ(amended, 1) << r.id;
      EXPECT_EQ(std::count(names.begin(), names.end(), "triggered"), 0) << r.id;
      EXPECT_EQ(landed_signatures(chain, r.id, sent), 0) << r.id;
      EXPECT_EQ(client_a.request("DELETE", "/api/orders/" + r.id, "", {}).status, 200) << r.id;
    } else {
      ++lost;
      EXPECT_EQ(amended, 0) << r.id << ": amended after it was answered 409";
      EXPECT_EQ(std::count(names.begin(), names.end(), "confirmed"), 1) << r.id;
      EXPECT_EQ(landed_signatures(chain, r.id, sent), 1) << r.id;
    }
  }
  expect_both_outcomes(won, lost, a, b);
}

// An older build could store an event its order's state does not allow.
// Here one is published straight into the partition's stream on a waiting
// limit order: the order keeps its state, the event is counted as illegal
// (not as a checksum failure), the partition's other orders execute, and a
// takeover resumes the partition all the same.
TEST(ClusterNodes, AnIllegalEventFromAnOlderBuildIsSkippedForItsOrderAlone) {
  testing::NatsCluster nats;
  TempDir dir;
  ServerProcess a(dir.path() / "a", node_args(nats, "a", {"--sim", "fast"}));
  a.start();
  HttpClient client_a(a.port());
  ASSERT_TRUE(executes_every_partition(a, "a"));
  const auto waiting =
      client_a.post_json("/api/orders/execute",
                         R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"limitPrice":"100000"})");
  ASSERT_EQ(waiting.status, 202) << waiting.body;
  const std::string id(waiting.json().at("orderId").as_string());
  ASSERT_TRUE(reaches(client_a, id, "open", 20s));

  // A retry is legal only for a failed order; this one is open.
  const auto order = *OrderId::parse(id);
  const PartitionId p = js::partition_of(order, kPartitions);
  const std::string payload = core::encode_event(core::OrderRetried{1, "an older build's retry"});
  {
    // Stored as an older build's node would have, straight into the
    // partition: a batch right after the stream's last.
    js::ConnectOptions options;
    options.urls = js::parse_urls(nats.urls());
    auto connection = js::Connection::connect(options);
    const auto stream = js::partition_stream(p);
    ASSERT_TRUE(eventually([&] {
      auto state = connection->stream_state(stream);
      if (!state) return false;
      auto last = connection->get(stream, state->last);
      if (!last || !*last) return false;
      auto before = js::decode_batch((*last)->data, p);
      if (!before) return false;
      js::Batch batch;
      batch.first = before->last().next();
      batch.writer = "older/build";
      js::BatchEntry e;
      e.record = eventlog::Record{Seq{0}, order, TimestampNs::now(),
                                  static_cast<std::uint8_t>(core::EventType::order_retried), payload};
      e.request = "older/build/1";
      batch.entries.push_back(std::move(e));
      const std::string data = js::encode_batch(batch);
      js::Publish publish;
      publish.subject = js::batch_subject(p);
      publish.data = data;
      publish.msg_id = id + "/an-older-build";
      publish.expect_last_seq = state->last;
      publish.headers = {{"Oee-Batch", fmt::format("{}+1", batch.first.value)}};
      return connection->publish(publish).has_value();
    }, 20s));
  }
  // The owner does not follow its own stream: it comes upon what another
  // writer stored when its next batch there is refused. Orders are
  // submitted until one goes to that partition.
  std::vector<std::string> to_p;
  for (int i = 0; i < 200 && to_p.empty(); ++i) {
    const auto res = client_a.post_json("/api/orders/execute", order_body("0.01"));
    ASSERT_EQ(res.status, 202) << res.body;
    if (res.json().at("partition").to_number<std::uint32_t>() == p.value) to_p.emplace_back(res.json().at("orderId").as_string());
  }
  ASSERT_FALSE(to_p.empty()) << "no order went to partition " << p;
  const auto illegal_events = [](HttpClient& c) { return metric_value(c.get("/metrics").body, "oee_illegal_events_total"); };
  ASSERT_TRUE(eventually([&] { return illegal_events(client_a) >= 1; }, 20s)) << a.stdout_tail();
  ASSERT_TRUE(all_finish(client_a, to_p, 30s));
  EXPECT_NE(a.stdout_tail().find("illegal in its order's state"), std::string::npos) << a.stdout_tail();
  EXPECT_EQ(a.stdout_tail().find("failed its checksum"), std::string::npos) << a.stdout_tail();
  EXPECT_EQ(status_of(client_a, id), "open");
  auto ids = submit(a.port(), 12);
  ASSERT_TRUE(all_finish(client_a, ids, 30s));

  // The node that takes the partitions over resumes the one with the
  // illegal event like any other.
  a.kill9();
  ServerProcess b(dir.path() / "b", node_args(nats, "b", {"--sim", "fast"}));
  b.start();
  HttpClient client_b(b.port());
  ASSERT_TRUE(eventually([&] { return executed_here(client_b) == kPartitions; }, 30s)) << b.stdout_tail();
  EXPECT_EQ(b.stdout_tail().find("cannot resume its orders"), std::string::npos) << b.stdout_tail();
  EXPECT_EQ(status_of(client_b, id), "open");
  EXPECT_GE(illegal_events(client_b), 1);
  const auto more = submit(b.port(), 12);
  EXPECT_TRUE(all_finish(client_b, more, 30s));
  // The waiting order is still the executor's: a cancel ends it.
  const auto cancel = client_b.request("DELETE", "/api/orders/" + id, "", {});
  EXPECT_EQ(cancel.status, 200) << cancel.body;
  EXPECT_EQ(b.stdout_tail().find("stopped:"), std::string::npos) << b.stdout_tail();
}

}  // namespace
}  // namespace oee::e2e
