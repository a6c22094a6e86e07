// Cluster mode judged by the chain's ledger as well as the log: a node
// paused past its lease while its signed transactions wait to be sent must
// land none of them once another node has taken its orders over and
// settled them, whatever the price is when it wakes; an acknowledgment
// lost on the way back costs no second transaction; and a partition whose
// orders cannot be resumed is given back and executed again.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <string>

#include <boost/json.hpp>

#include "cluster_nodes.h"
#include "core/domain/order_events.h"
#include "core/engine/sim_chain.h"
#include "order_reads.h"

namespace oee::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// The paused owner: a owns every partition and its orders reach submitted
// (each transaction signed and recorded, not yet sent: the realistic
// profile waits seconds before the send). a is paused past its lease; b
// takes over and sends the same signatures after the price fell, so the
// chain refuses them, and b's next attempts land. The price comes back
// and a wakes with its sends overdue. Every order has exactly one landed
// signature, the one its log confirms, and the first attempt's outcome is
// the refusal b got.
TEST(ClusterNodes, APausedOwnerWakingAfterTheTakeoverLandsNoSecondTransaction) {
  testing::NatsCluster nats;
  TempDir dir;
  const std::vector<std::string> sim{"--sim",        "realistic", "--sim-latency-scale", "2",
                                     "--fail-rate",  "0",         "--sim-control",       "--sim-launch-every",
                                     "0"};
  ServerProcess a(dir.path() / "a", node_args(nats, "a", sim));
  a.start();
  HttpClient client_a(a.port());
  ASSERT_TRUE(executes_every_partition(a, "a"));
  // 10% slippage: the drift alone refuses nothing, the price set does.
  const std::string order = R"({"inputToken":"SOL","outputToken":"USDC","amount":"1","slippage":0.1})";
  std::vector<std::string> ids;
  for (int i = 0; i < 16; ++i) {
    const auto res = client_a.post_json("/api/orders/execute", order);
    ASSERT_EQ(res.status, 202) << res.body;
    ids.emplace_back(res.json().at("orderId").as_string());
  }
  for (const auto& id : ids) ASSERT_TRUE(reaches(client_a, id, "submitted", 20s)) << id << " " << status_of(client_a, id);
  ::kill(a.pid(), SIGSTOP);
  // a's sends are due 4-6 s after its routes; b starts now, so it waits out
  // a's lease (2 s) before it takes anything: a paused past its lease.
  ServerProcess b(dir.path() / "b", node_args(nats, "b", sim));
  b.start();
  HttpClient client_b(b.port());
  const auto fell = client_b.post_json("/api/sim/prices", R"({"pair":"SOL/USDC","price":"50"})");
  ASSERT_EQ(fell.status, 200) << fell.body;
  ASSERT_TRUE(eventually([&] { return executed_here(client_b) == kPartitions; }, 30s));
  for (const auto& id : ids)
    ASSERT_TRUE(reaches(client_b, id, "confirmed", 90s)) << id << " " << status_of(client_b, id);
  const auto back = client_b.post_json("/api/sim/prices", R"({"pair":"SOL/USDC","price":"160"})");
  ASSERT_EQ(back.status, 200) << back.body;
  ::kill(a.pid(), SIGCONT);
  // a finds every partition gone once it runs again; whatever it was going
  // to send, it has sent or dropped by then.
  for (std::uint32_t p = 0; p < kPartitions; ++p) {
    const std::string gone = "partition " + std::to_string(p) + ": no longer executed by this node (a)";
    EXPECT_TRUE(eventually([&] { return a.stdout_tail().find(gone) != std::string::npos; }, 30s)) << gone;
  }
  ASSERT_TRUE(eventually([&] { return executed_here(client_a) == 0; }, 30s)) << a.stdout_tail();

  ChainBucket chain(nats);
  int refused_first_attempts = 0;
  for (const auto& id : ids) {
    const auto sent = signatures(client_b, id);
    ASSERT_EQ(sent.confirmed.size(), 1u) << id;
    ASSERT_GE(sent.sent.size(), 2u) << id << ": the takeover's send of the first signature was not refused";
    for (const auto& tx : sent.sent) {
      const auto outcome = chain.outcome(tx);
      ASSERT_TRUE(outcome) << id << ": " << tx << " has no outcome on the chain";
      if (outcome->outcome == core::TxOutcome::slippage_exceeded) ++refused_first_attempts;
    }
    EXPECT_EQ(landed_signatures(chain, id, sent), 1) << id;
  }
  EXPECT_GE(refused_first_attempts, 16) << "the price set refused none of the taken-over sends: a weak test";
  EXPECT_EQ(b.stdout_tail().find("stopped:"), std::string::npos) << b.stdout_tail();
}

// A partition whose orders cannot be resumed (here: the first resume a
// node makes fails, as an unreachable cluster makes it fail) is not held
// idle: the node gives it back, /health says why, and the partition is
// executed again within two leases; its waiting orders still fill.
// The acknowledgment of each order's routedAndSent (its route, and its
// transaction signed and on its way) is lost on the way back: the append is
// resolved by its msg id before anything is decided again, so each order
// sends its transaction once. Judged by the chain, which records every
// transaction sent to it: exactly the signatures the logs record.
TEST(ClusterNodes, ALostAcknowledgmentOfASentTransactionSendsNoSecondOne) {
  testing::NatsCluster nats;
  TempDir dir;
  constexpr int kOrders = 8;
  const auto routed_and_sent = static_cast<int>(core::EventType::routed_and_sent);
  ServerProcess a(dir.path() / "a",
                  node_args(nats, "a", {"--sim", "realistic", "--sim-latency-scale", "0.3", "--fail-rate", "0"}),
                  {"/usr/bin/env", "OEE_TEST_LOSE_ACKS=" + std::to_string(routed_and_sent) + ":" + std::to_string(kOrders)});
  a.start();
  HttpClient client(a.port());
  ASSERT_TRUE(executes_every_partition(a, "a"));
  const auto ids = submit(a.port(), kOrders);
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders));
  ASSERT_TRUE(all_finish(client, ids, 60s));
  EXPECT_NE(a.stdout_tail().find("test hook: the acknowledgment of seq"), std::string::npos)
      << "no acknowledgment was dropped: the test tested nothing";

  ChainBucket chain(nats);
  std::size_t sent_in_logs = 0;
  for (const auto& id : ids) {
    EXPECT_EQ(status_of(client, id), "confirmed") << id;
    const auto names = event_names(client, id);
    EXPECT_EQ(std::count(names.begin(), names.end(), "confirmed"), 1) << id;
    const auto sent = signatures(client, id);
    sent_in_logs += sent.sent.size();
    EXPECT_EQ(landed_signatures(chain, id, sent), 1) << id;
  }
  EXPECT_EQ(chain.recorded(), sent_in_logs) << "a transaction the logs do not record reached the chain";
}

// A fault probe is an option like any other: one that does not parse stops
// the server before it starts, naming it.
TEST(FaultProbes, AProbeThatDoesNotParseIsRefused) {
  TempDir dir;
  for (const std::string spec : {"300:1", "7", "7:0", "x:1", "7:1x"}) {
    const auto refused = run({kServer, "--data-dir", (dir.path() / "data").string(), "--test-lose-acks", spec});
    EXPECT_EQ(refused.exit_code, 2) << spec;
    EXPECT_NE(refused.err.find("--test-lose-acks"), std::string::npos) << spec << ": " << refused.err;
  }
  const auto help = run({kServer, "--help"});
  EXPECT_EQ(help.out.find("--test-"), std::string::npos) << "a test's probe is in --help";
}

TEST(ClusterNodes, APartitionWhoseResumeFailsIsGivenBackAndExecutedAgain) {
  testing::NatsCluster nats;
  TempDir dir;
  ServerProcess a(dir.path() / "a", node_args(nats, "a", {"--sim", "fast"}));
  a.start();
  HttpClient client_a(a.port());
  ASSERT_TRUE(executes_every_partition(a, "a"));
  const auto ids = submit(a.port(), 8);
  ASSERT_TRUE(all_finish(client_a, ids, 30s));
  ASSERT_EQ(a.terminate(), 0);

  ServerProcess again(dir.path() / "again", node_args(nats, "again", {"--sim", "fast"}),
                      {"/usr/bin/env", "OEE_TEST_FAIL_RESUMES=1"});
  again.start();
  HttpClient client(again.port());
  ASSERT_TRUE(eventually([&] { return again.stdout_tail().find("cannot resume its orders") != std::string::npos; }, 20s));
  const auto health = client.get("/health").json();
  EXPECT_EQ(health.at("status").as_string(), "degraded") << health;
  ASSERT_TRUE(health.at("cluster").as_object().contains("problems")) << health;
  EXPECT_NE(json::serialize(health.at("cluster").at("problems")).find("cannot resume its orders"), std::string::npos);

  // The partition released, gained a second time: until then it may still
  // count as executed here while its give-up waits its turn.
  const auto out = again.stdout_tail();
  const auto named = out.rfind("partition ", out.find("cannot resume its orders"));
  ASSERT_NE(named, std::string::npos) << out;
  const std::string gained = out.substr(named, out.find(':', named) - named) + ": executed by this node";
  const auto times_gained = [&] {
    const auto text = again.stdout_tail();
    int n = 0;
    for (auto at = text.find(gained); at != std::string::npos; at = text.find(gained, at + 1)) ++n;
    return n;
  };
  ASSERT_TRUE(eventually([&] { return times_gained() >= 2 && executed_here(client) == kPartitions; }, 20s))
      << gained << " only " << times_gained() << " time(s)\n" << again.stdout_tail();
  EXPECT_TRUE(eventually([&] { return client.get("/health").json().at("status").as_string() == "ok"; }, 20s))
      << client.get("/health").body;
  const auto more = submit(again.port(), 8);
  EXPECT_TRUE(all_finish(client, more, 30s));
  EXPECT_TRUE(again.running()) << again.stdout_tail();
}

}  // namespace
}  // namespace oee::e2e
