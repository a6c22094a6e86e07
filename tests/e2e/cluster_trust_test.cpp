// Who the cluster trusts. Any client with the NATS credentials can ask a
// partition's owner to append a first event (oee.forward.p<P>); the owner
// takes a new order's submission under a key that may submit, and nothing
// else: not an API key of the asker's making, not an order under a key it
// does not know.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>

#include "cluster_nodes.h"
#include "core/domain/api_key.h"
#include "core/domain/order_events.h"
#include "core/domain/tokens.h"
#include "core/wire/event_codec.h"
#include "core/wire/key_codec.h"
#include "eventlog/jetstream/batch_codec.h"
#include "eventlog/jetstream/layout.h"
#include "eventlog/record_codec.h"
#include "order_reads.h"

namespace oee::e2e {
namespace {

namespace js = eventlog::jetstream;
using namespace std::chrono_literals;

/// Asks partition `p`'s owner to append `record`, as a node forwarding a
/// write does: as an order's first event, or after the order's event at
/// `basis`; the owner's answer.
std::string forward(js::Connection& connection, std::uint32_t p, const eventlog::Record& record,
                    std::optional<Seq> basis = std::nullopt) {
  const std::string data = eventlog::encode_record(record);
  js::Publish request;
  request.subject = js::forward_subject(p);
  request.data = data;
  request.headers = {{"Oee-Request", "intruder/1/" + record.order.str()}};
  if (basis) {
    request.headers.emplace_back("Oee-Basis", std::to_string(basis->value));
  } else {
    request.headers.emplace_back("Oee-Begins", "1");
  }
  const auto answers = connection.request_all(std::span(&request, 1), 5s);
  if (!answers.front()) return "no answer: " + answers.front().error().message();
  return *answers.front();
}

TEST(ClusterNodes, AnOwnerAppendsOnlySubmissionsUnderKeysThatMaySubmitForOtherNodes) {
  testing::NatsCluster nats;
  TempDir dir;
  const std::string admin = random_admin_key();
  ServerProcess a(dir.path() / "a", node_args(nats, "a", {"--sim", "fast", "--admin-key", admin}));
  a.start();
  ASSERT_TRUE(executes_every_partition(a, "a"));
  HttpClient client(a.port());
  const std::map<std::string, std::string> as_admin{{"Authorization", "Bearer " + admin}};
  const auto keys_before = client.request("GET", "/api/keys", {}, as_admin).json().at("count");

  js::ConnectOptions options;
  options.urls = js::parse_urls(nats.urls());
  auto connection = js::Connection::connect(options);

  // An API key of the asker's making, with every scope.
  const core::KeyId forged_key = OrderId::random();
  const std::uint32_t key_partition = js::partition_of(forged_key, kPartitions);
  const core::KeyEvent created = core::ApiKeyCreated{"intruder", core::Scopes::all(), {}, {}, std::nullopt, std::nullopt};
  const auto key_answer = forward(
      *connection, key_partition,
      eventlog::Record{Seq{0}, forged_key, TimestampNs::now(),
                       static_cast<std::uint8_t>(core::KeyEventType::created), core::encode_key_event(created)});
  EXPECT_TRUE(key_answer.starts_with("refused")) << key_answer;
  // The same as a later event of a key, made by a key nobody made.
  const core::KeyEvent made_by_stranger =
      core::ApiKeyCreated{"intruder", core::Scopes::all(), {}, {}, std::nullopt, OrderId::random()};
  const auto stranger_answer = forward(
      *connection, key_partition,
      eventlog::Record{Seq{0}, forged_key, TimestampNs::now(), static_cast<std::uint8_t>(core::KeyEventType::created),
                       core::encode_key_event(made_by_stranger)},
      Seq{0});
  EXPECT_TRUE(stranger_answer.starts_with("refused")) << stranger_answer;

  // An order under a key nobody made.
  core::OrderSubmitted submitted;
  submitted.input_token = *core::TokenId::parse("SOL");
  submitted.output_token = *core::TokenId::parse("USDC");
  submitted.amount_in = core::Amount{1'000'000'000};
  submitted.slippage_bps = 50;
  submitted.owner = OrderId::random();
  const OrderId forged_order = OrderId::random();
  const auto order_answer = forward(
      *connection, js::partition_of(forged_order, kPartitions),
      eventlog::Record{Seq{0}, forged_order, TimestampNs::now(), static_cast<std::uint8_t>(core::EventType::submitted),
                       core::encode_event(submitted)});
  EXPECT_TRUE(order_answer.starts_with("refused")) << order_answer;
  EXPECT_NE(a.stdout_tail().find("refused an event forwarded"), std::string::npos) << a.stdout_tail();

  // Refused means stored nowhere: no key, no order.
  EXPECT_EQ(client.request("GET", "/api/keys", {}, as_admin).json().at("count"), keys_before);
  EXPECT_EQ(client.request("GET", "/api/orders/" + forged_order.str(), {}, as_admin).status, 404);
  for (const auto& [p, id] : {std::pair{key_partition, forged_key},
                              std::pair{js::partition_of(forged_order, kPartitions), forged_order}}) {
    const auto stored = connection->read(js::partition_stream(p), fmt::format("oee.p{}.>", p), Seq{1},
                                         std::numeric_limits<std::size_t>::max());
    ASSERT_TRUE(stored) << stored.error().message();
    for (const auto& m : *stored) {
      const auto batch = js::decode_batch(m.data, p);
      ASSERT_TRUE(batch);
      for (const auto& e : batch->entries) EXPECT_NE(e.record.order, id) << "stored: " << id.str();
    }
  }

  // What a node forwards for a key that may submit still lands: b forwards
  // its orders to a until it takes its share of the partitions; either way
  // each is appended once and runs.
  ServerProcess b(dir.path() / "b", node_args(nats, "b", {"--sim", "fast", "--admin-key", admin}));
  b.start();
  HttpClient client_b(b.port());
  const auto made = client.request("POST", "/api/keys", R"({"name":"desk","scopes":["orders:read","orders:write"]})",
                                   {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + admin}});
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string secret(made.json().at("key").as_string());
  const std::map<std::string, std::string> as_desk{{"Content-Type", "application/json"},
                                                   {"Authorization", "Bearer " + secret}};
  // The key reaches b through the log.
  ASSERT_TRUE(eventually([&] { return client_b.request("GET", "/api/dlq", {}, as_desk).status == 200; }, 10s));
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) {
    const auto res = client_b.request("POST", "/api/orders/execute", order_body(), as_desk);
    ASSERT_EQ(res.status, 202) << res.body;
    ids.emplace_back(res.json().at("orderId").as_string());
  }
  for (const auto& id : ids) {
    EXPECT_TRUE(eventually(
        [&] {
          const auto res = client_b.request("GET", "/api/orders/" + id, {}, as_desk);
          return res.status == 200 && res.json().at("status").as_string() == "confirmed";
        },
        30s))
        << id;
  }

  // An order's step is its owner's to make: another node's is refused, even
  // on the order's last event.
  const OrderId confirmed = *OrderId::parse(ids.front());
  const std::uint32_t p = js::partition_of(confirmed, kPartitions);
  const auto events_of = [&](const std::string& id) {
    return client.request("GET", "/api/orders/" + id + "/events", {}, as_admin).json().at("events").as_array();
  };
  const auto events_before = events_of(ids.front());
  ASSERT_FALSE(events_before.empty());
  const Seq last{events_before.back().at("seq").to_number<std::uint64_t>()};
  const auto step_answer =
      forward(*connection, p,
              eventlog::Record{Seq{0}, confirmed, TimestampNs::now(), static_cast<std::uint8_t>(core::EventType::order_failed),
                               core::encode_event(core::OrderFailed{1, "forged"})},
              last);
  EXPECT_TRUE(step_answer.starts_with("refused")) << step_answer;
  EXPECT_EQ(events_of(ids.front()).size(), events_before.size());
}

}  // namespace
}  // namespace oee::e2e
