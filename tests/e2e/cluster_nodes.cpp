#include "cluster_nodes.h"

#include <algorithm>
#include <cstdio>
#include <iostream>
#include <stdexcept>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "eventlog/jetstream/batch_codec.h"
#include "eventlog/jetstream/chain_blocks.h"
#include "eventlog/jetstream/connection.h"
#include "eventlog/jetstream/partition_log.h"
#include "eventlog/jetstream/layout.h"
#include "order_reads.h"

namespace oee::e2e {

std::vector<std::string> node_args(const testing::NatsCluster& nats, const std::string& node,
                                   std::vector<std::string> more) {
  std::vector<std::string> args{"--nats",       nats.urls(), "--node",      node, "--partitions",
                                std::to_string(kPartitions), "--lease-ttl", "2",  "--log-level",
                                "info"};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

std::map<std::string, std::string> as_key(const std::string& secret) {
  return {{"Content-Type", "application/json"}, {"Authorization", "Bearer " + secret}};
}

std::vector<std::string> submit(unsigned short port, int count) {
  HttpClient client(port);
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    const auto res = client.post_json("/api/orders/execute", order_body("0." + std::to_string(i + 1)));
    EXPECT_EQ(res.status, 202) << res.body;
    if (res.status == 202) ids.emplace_back(res.json().at("orderId").as_string());
  }
  return ids;
}

TwoNodes::TwoNodes(const std::vector<std::string>& more)
    : a(dir.path() / "a", node_args(nats, "a", more)), b(dir.path() / "b", node_args(nats, "b", more)) {
  a.start();
  b.start();
  // Writes in the first handover may be answered 503 on a loaded machine
  // (a sanitized suite): that case has tests of its own, and the tests on
  // two nodes start from a settled cluster.
  const auto key = std::find(more.begin(), more.end(), "--admin-key");
  if (!both_hold_their_share(a, b, key != more.end() && key + 1 != more.end() ? *(key + 1) : std::string{}))
    throw std::runtime_error("a and b did not come to execute half of the partitions each:\n" + a.stdout_tail() +
                             "\n" + b.stdout_tail());
}

TwoNodes::~TwoNodes() {
  if (!::testing::Test::HasFailure()) return;
  constexpr std::size_t kShown = 16 * 1024;
  for (const auto* node : {&a, &b}) {
    const std::string said = node->stdout_tail();
    std::cerr << "---- node " << (node == &a ? "a" : "b") << ", its last lines:\n"
              << (said.size() > kShown ? said.substr(said.size() - kShown) : said) << node->stderr_tail() << "----\n";
  }
}

bool executes_every_partition(ServerProcess& node, const std::string& name) {
  // From its log, which needs no key: the node may run with authentication on.
  const std::string last = "partition " + std::to_string(kPartitions - 1) + ": executed by this node (" + name + ")";
  return eventually([&] { return node.stdout_tail().find(last) != std::string::npos; }, std::chrono::seconds(20));
}

bool both_hold_their_share(ServerProcess& a, ServerProcess& b, const std::string& admin_key) {
  HttpClient client_a(a.port()), client_b(b.port());
  std::map<std::string, std::string> headers;
  if (!admin_key.empty()) headers.emplace("Authorization", "Bearer " + admin_key);
  const auto executed = [&](HttpClient& c) {
    const auto res = c.request("GET", "/api/cluster", {}, headers);
    return res.status == 200 ? res.json().at("executedHere").as_array().size() : 0;
  };
  return eventually([&] { return executed(client_a) == kPartitions / 2 && executed(client_b) == kPartitions / 2; },
                    std::chrono::seconds(20));
}

int expect_fenced_after_takeovers(const testing::NatsCluster& nats, const std::string& paused, const std::string& taker) {
  namespace js = eventlog::jetstream;
  js::ConnectOptions options;
  options.urls = js::parse_urls(nats.urls());
  auto connection = js::Connection::connect(options);
  int takeovers = 0;
  for (std::uint32_t p = 0; p < kPartitions; ++p) {
    auto messages = connection->read(js::partition_stream(PartitionId{p}), "oee.p" + std::to_string(p) + ".>", Seq{1}, 100'000);
    EXPECT_TRUE(messages) << messages.error().message();
    if (!messages) continue;
    std::string owner;
    for (const auto& m : *messages) {
      const auto batch = js::decode_batch(m.data, PartitionId{p});
      EXPECT_TRUE(batch) << "partition " << p << " stream seq " << m.seq.value << " is not a batch";
      if (!batch) continue;
      const std::string node = batch->writer.substr(0, batch->writer.find('/'));
      const bool takes = std::any_of(batch->entries.begin(), batch->entries.end(), [](const js::BatchEntry& e) {
        return e.record.type == js::kPartitionTakenType;
      });
      if (takes) {
        owner = node;
        if (node == taker) ++takeovers;
        continue;
      }
      // Only the owner writes: nothing of the paused node lands once the
      // taker took the partition over.
      EXPECT_FALSE(owner == taker && node == paused) << "partition " << p << " position " << batch->first.value;
    }
  }
  return takeovers;
}

void expect_finished_once(HttpClient& client, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    const auto names = event_names(client, id);
    const auto terminal = std::count(names.begin(), names.end(), "confirmed") +
                          std::count(names.begin(), names.end(), "orderFailed");
    EXPECT_EQ(terminal, 1) << "order " << id;
  }
}

std::size_t executed_here(HttpClient& client) {
  const auto res = client.get("/api/cluster");
  return res.status == 200 ? res.json().at("executedHere").as_array().size() : 0;
}

ChainBucket::ChainBucket(const testing::NatsCluster& nats) {
  namespace js = eventlog::jetstream;
  js::ConnectOptions options;
  options.urls = js::parse_urls(nats.urls());
  options.read_only = true;
  connection_ = js::Connection::connect(options);
}

void ChainBucket::read() {
  auto ledger = eventlog::jetstream::read_chain(*connection_);
  ASSERT_TRUE(ledger) << "cannot read the chain's blocks: " << ledger.error().message();
  EXPECT_TRUE(ledger->twice.empty()) << ledger->twice.size() << " signatures have two outcomes, e.g. "
                                     << ledger->twice.front();
  outcomes_ = std::move(ledger->outcomes);
}

std::optional<core::TxResult> ChainBucket::outcome(const std::string& tx) {
  if (!outcomes_.contains(tx)) read();
  const auto it = outcomes_.find(tx);
  if (it == outcomes_.end()) return std::nullopt;
  auto parsed = core::parse_ledger_value(it->second);
  EXPECT_TRUE(parsed) << "unreadable ledger value for " << tx << ": " << it->second;
  return parsed;
}

std::string owner_of(HttpClient& client, std::uint32_t p) {
  const auto view = client.get("/api/cluster");
  if (view.status != 200) return {};
  const boost::json::value cluster_view = view.json();
  for (const auto& entry : cluster_view.at("partitions").as_array()) {
    if (entry.at("partition").to_number<std::uint32_t>() == p) return std::string(entry.at("owner").as_string());
  }
  return {};
}

void expect_both_outcomes(int won, int lost, ServerProcess& a, ServerProcess& b) {
  std::printf("%d answered 200, %d answered 409\n", won, lost);
  EXPECT_GE(won, 3);
  EXPECT_GE(lost, 3);
  for (auto* node : {&a, &b}) {
    EXPECT_EQ(node->stdout_tail().find("does not fold"), std::string::npos) << node->stdout_tail();
    EXPECT_EQ(node->stdout_tail().find("illegal"), std::string::npos) << node->stdout_tail();
  }
}

std::size_t ChainBucket::recorded() {
  read();
  return outcomes_.size();
}

SentAndConfirmed signatures(HttpClient& client, const std::string& id) {
  SentAndConfirmed out;
  // A read may meet a partition between owners (503): asked again.
  HttpResponse res;
  if (!eventually([&] { return (res = client.get("/api/orders/" + id + "/events")).status == 200; }, std::chrono::seconds(30))) {
    ADD_FAILURE() << "the events of " << id << " do not read: " << res.status << " " << res.body;
    return out;
  }
  const boost::json::value history = res.json();
  for (const auto& e : history.at("events").as_array()) {
    const auto& event = e.at("event").as_string();
    const auto* tx = e.as_object().if_contains("txHash");
    if (tx == nullptr) continue;
    if (event == "txSubmitted") out.sent.emplace(tx->as_string());
    if (event == "confirmed") out.confirmed.emplace(tx->as_string());
  }
  return out;
}

int landed_signatures(ChainBucket& chain, const std::string& id, const SentAndConfirmed& sent) {
  int landed = 0;
  for (const auto& tx : sent.sent) {
    const auto outcome = chain.outcome(tx);
    if (!outcome || outcome->outcome != core::TxOutcome::landed) continue;
    ++landed;
    EXPECT_TRUE(sent.confirmed.contains(tx)) << id << ": " << tx << " landed but the log confirms another";
  }
  return landed;
}

}  // namespace oee::e2e
