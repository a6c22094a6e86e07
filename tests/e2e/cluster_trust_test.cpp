// Who the cluster trusts. Any client with the NATS credentials can ask a
// partition's owner to append a first event (oee.forward.p<P>); the owner
// takes a new order's submission under a key that may submit, and nothing
// else: not an API key of the asker's making, not an order under a key it
// does not know. The tools' credential reads and cannot change what a node
// hears.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
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
std::string forward(js::Connection& connection, PartitionId p, const eventlog::Record& record,
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
  const PartitionId key_partition = js::partition_of(forged_key, kPartitions);
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
  EXPECT_NE(a.stdout_tail().find("event forwarded on"), std::string::npos) << a.stdout_tail();

  // Refused means stored nowhere: no key, no order.
  EXPECT_EQ(client.request("GET", "/api/keys", {}, as_admin).json().at("count"), keys_before);
  EXPECT_EQ(client.request("GET", "/api/orders/" + forged_order.str(), {}, as_admin).status, 404);
  for (const auto& [p, id] : {std::pair{key_partition, forged_key},
                              std::pair{js::partition_of(forged_order, kPartitions), forged_order}}) {
    const auto stored = connection->read(js::partition_stream(p), fmt::format("oee.p{}.>", p.value), Seq{1},
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
  const PartitionId p = js::partition_of(confirmed, kPartitions);
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

// A consumer delivers wherever its maker says, and nats-server 2.9 does
// not check that against the maker's permissions: one delivering a
// partition's stored batches on another partition's live subject once made
// a node that listened there deaf to that partition, key revocations
// included. The tools' user may make no consumer now; and a node refuses
// what does not come from the partition's owner, so even one made with the
// nodes' user changes nothing the node hears.
TEST(ClusterNodes, AConsumerDeliveringOnALiveSubjectDoesNotMakeANodeDeaf) {
  const std::string admin = random_admin_key();
  TwoNodes nodes({"--sim", "fast", "--admin-key", admin});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  const auto& as = as_key;
  const auto executed_by = [&](HttpClient& c) {
    std::set<std::uint32_t> out;
    const auto view = c.request("GET", "/api/cluster", {}, as(admin)).json();
    for (const auto& p : view.at("executedHere").as_array()) out.insert(p.to_number<std::uint32_t>());
    return out;
  };
  const auto on_a = executed_by(client_a);
  const auto on_b = executed_by(client_b);
  ASSERT_FALSE(on_a.empty());
  ASSERT_FALSE(on_b.empty());
  // A key stored in a partition b executes, made on b; its secret.
  const auto key_in_b = [&](const std::string& name) -> std::pair<std::string, std::string> {
    for (int tries = 0; tries < 64; ++tries) {
      const auto made = client_b.request(
          "POST", "/api/keys", fmt::format(R"({{"name":"{}","scopes":["orders:read"]}})", name), as(admin));
      if (made.status != 201) break;
      const std::string id(made.json().at("id").as_string());
      if (on_b.contains(js::partition_of(*OrderId::parse(id), kPartitions).value))
        return {id, std::string(made.json().at("key").as_string())};
    }
    ADD_FAILURE() << "no key of b's partitions was made";
    return {};
  };
  // A key that works is told an order nobody made is not found (not 401).
  const std::string unknown_order = "/api/orders/" + OrderId::random().str();
  const auto works_on_a = [&](const std::string& secret) {
    return client_a.request("GET", unknown_order, {}, as(secret)).status == 404;
  };
  const auto [victim_id, victim] = key_in_b("victim");
  ASSERT_TRUE(eventually([&] { return works_on_a(victim); }, 15s)) << "a key made on b does not work on a";

  // a follows every order live, so it listens to the partitions b executes.
  const auto [watcher_id, watcher] = key_in_b("watcher");
  ASSERT_TRUE(eventually([&] { return works_on_a(watcher); }, 15s));
  WsClient ws(a.port(), "/ws", 0, Dialect::v1, "Bearer " + watcher);
  ws.send(R"({"type":"subscribe","all":true})");
  std::optional<std::string> subscribed;
  while ((subscribed = ws.read(10s)) && subscribed->find("subscribed") == std::string::npos) {
  }
  ASSERT_TRUE(subscribed) << "the stream of every order did not start on a";

  // A partition a executes, delivered on the live subject of one b executes
  // that holds fewer records: those heard as its own would pass over its
  // next ones. Orders until two such partitions are found.
  std::uint32_t delivered = 0;
  std::uint32_t listened = 0;
  const auto found = [&] {
    std::map<std::uint32_t, std::uint64_t> last;
    const auto view = client_a.request("GET", "/api/cluster", {}, as(admin)).json();
    for (const auto& p : view.at("partitions").as_array())
      last[p.at("partition").to_number<std::uint32_t>()] = p.at("lastSeq").to_number<std::uint64_t>();
    for (const auto pa : on_a)
      for (const auto pb : on_b)
        if (last[pa] > last[pb] + 5) {
          delivered = pa;
          listened = pb;
          return true;
        }
    return false;
  };
  for (int round = 0; round < 20 && !found(); ++round) {
    for (int i = 0; i < 8; ++i)
      ASSERT_EQ(client_a.request("POST", "/api/orders/execute", order_body(), as(admin)).status, 202);
  }
  ASSERT_TRUE(found()) << "no partition of a holds more records than one of b";
  js::Publish consumer;
  consumer.subject = "$JS.API.CONSUMER.CREATE." + js::partition_stream(PartitionId{delivered});
  const std::string config = fmt::format(
      R"({{"stream_name":"{}","config":{{"deliver_subject":"{}","deliver_policy":"all","ack_policy":"none"}}}})",
      js::partition_stream(PartitionId{delivered}), js::live_subject(PartitionId{listened}));
  consumer.data = config;
  const auto make_consumer = [&](const std::string& urls) {
    js::ConnectOptions options;
    options.urls = js::parse_urls(urls);
    options.request_timeout = 2s;
    auto connection = js::Connection::connect(options);
    const auto answers = connection->request_all(std::span(&consumer, 1), 3s);
    return answers.front() ? *answers.front() : "no answer: " + answers.front().error().message();
  };
  const auto as_tools = make_consumer(nats.tools_urls());
  EXPECT_TRUE(as_tools.starts_with("no answer") || as_tools.find("\"error\"") != std::string::npos)
      << "the tools' user made a consumer: " << as_tools;
  const auto as_node = make_consumer(nats.urls());
  ASSERT_EQ(as_node.find("\"error\""), std::string::npos) << as_node;
  const auto refused_on_a = [&] {
    return metric_value(client_a.request("GET", "/metrics", {}, as(admin)).body,
                        R"(oee_refused_messages_total{kind="live_batch"})");
  };
  ASSERT_TRUE(eventually([&] { return refused_on_a() > 0; }, 15s)) << "a heard nothing of the consumer";
  EXPECT_NE(a.stdout_tail().find("batch heard live on " + js::live_subject(PartitionId{listened})), std::string::npos)
      << a.stdout_tail();

  // What b's partitions hold still reaches a: a revocation, a new key.
  const auto revoked = client_b.request("DELETE", "/api/keys/" + victim_id, {}, as(admin));
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_TRUE(eventually([&] { return client_a.request("GET", unknown_order, {}, as(victim)).status == 401; }, 15s))
      << "a key revoked on b still works on a";
  const auto [newcomer_id, newcomer] = key_in_b("newcomer");
  EXPECT_TRUE(eventually([&] { return works_on_a(newcomer); }, 15s)) << "a key made on b does not work on a";

  // The nodes were given the servers' password in their environment.
  const std::string url = nats.url_list().front();
  const auto at = url.find('@');
  const auto colon = url.rfind(':', at);
  ASSERT_NE(at, std::string::npos);
  const std::string password = url.substr(colon + 1, at - colon - 1);
  for (const auto& line : command_lines()) EXPECT_EQ(line.find(password), std::string::npos) << line;
}

}  // namespace
}  // namespace oee::e2e
