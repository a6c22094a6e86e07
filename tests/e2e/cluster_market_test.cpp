// The simulated market of a cluster: a price set or a token launched on
// one node holds on every node, so an order waiting for it fires
// whichever node executes it; new tokens launch from one node at a time
// (the market lease's holder), and from the other once it dies.

#include <gtest/gtest.h>

#include <map>
#include <set>

#include <boost/json.hpp>

#include "cluster_nodes.h"
#include "order_reads.h"

namespace oee::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

// The nodes each execute some of the partitions `partitions` name.
bool executed_by_both(HttpClient& client, const std::set<std::int64_t>& partitions) {
  return eventually(
      [&] {
        std::set<std::string> owners;
        const auto body = client.get("/api/cluster").json();
        for (const auto& p : body.at("partitions").as_array()) {
          if (partitions.contains(p.at("partition").to_number<std::int64_t>()))
            owners.insert(std::string(p.at("owner").as_string()));
        }
        return owners == std::set<std::string>{"a", "b"};
      },
      20s);
}

std::vector<std::string> submit_all(HttpClient& client, const std::string& body, int count,
                                    std::set<std::int64_t>& partitions) {
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    const auto res = client.post_json("/api/orders/execute", body);
    EXPECT_EQ(res.status, 202) << res.body;
    if (res.status != 202) continue;
    ids.emplace_back(res.json().at("orderId").as_string());
    partitions.insert(res.json().at("partition").to_number<std::int64_t>());
  }
  return ids;
}

json::object market_of(HttpClient& client) { return client.get("/api/cluster").json().at("market").as_object(); }

TEST(ClusterMarket, APriceSetOrATokenLaunchedOnOneNodeHoldsOnBoth) {
  TwoNodes nodes({"--sim", "fast", "--sim-control", "--fail-rate", "0", "--sim-launch-every", "0"});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());

  // Limit orders far above the drifting price wait in the books of both
  // nodes (each lands in a partition of the node that took it); a price
  // set on a alone fires every one of them.
  std::set<std::int64_t> partitions;
  const std::string limit = R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":"1","minAmountOut":"1000"})";
  auto limits = submit_all(client_a, limit, 6, partitions);
  const auto on_b = submit_all(client_b, limit, 6, partitions);
  limits.insert(limits.end(), on_b.begin(), on_b.end());
  ASSERT_EQ(limits.size(), 12u);
  for (const auto& id : limits) ASSERT_TRUE(reaches(client_b, id, "open", 20s)) << id;
  ASSERT_TRUE(executed_by_both(client_a, partitions)) << "the orders do not wait on both nodes: a weak test";
  const auto set = client_a.post_json("/api/sim/prices", R"({"pair":"SOL/USDC","price":"2000"})");
  ASSERT_EQ(set.status, 200) << set.body;
  for (const auto& id : limits) EXPECT_TRUE(reaches(client_b, id, "confirmed", 20s)) << id << " " << status_of(client_b, id) << "\nA:\n" << a.stdout_tail() << "\nB:\n" << b.stdout_tail();
  // Both nodes quote the price set.
  for (auto* c : {&client_a, &client_b}) {
    const auto quote = c->get("/api/quote?inputToken=SOL&outputToken=USDC&amount=1");
    ASSERT_EQ(quote.status, 200) << quote.body;
    // About 1,995 USDC after the fee, where the drift is near 150.
    EXPECT_GT(std::stod(std::string(quote.json().at("amountOut").as_string())), 1900.0) << quote.body;
  }

  // Snipers for a token nobody has launched wait on both nodes; a launch
  // on b alone fires every one of them.
  partitions.clear();
  const std::string sniper = R"({"type":"sniper","targetToken":"ZEBRA","amount":"1","maxPrice":"0.001"})";
  auto snipers = submit_all(client_a, sniper, 6, partitions);
  const auto snipers_on_b = submit_all(client_b, sniper, 6, partitions);
  snipers.insert(snipers.end(), snipers_on_b.begin(), snipers_on_b.end());
  ASSERT_EQ(snipers.size(), 12u);
  for (const auto& id : snipers) ASSERT_TRUE(reaches(client_b, id, "watching", 20s)) << id;
  ASSERT_TRUE(executed_by_both(client_a, partitions));
  const auto launched = client_b.post_json("/api/sim/launches", R"({"token":"ZEBRA","liquidity":"100","price":"0.0001"})");
  ASSERT_EQ(launched.status, 200) << launched.body;
  for (const auto& id : snipers)
    EXPECT_TRUE(reaches(client_a, id, "confirmed", 20s)) << id << " " << status_of(client_a, id);
  // The same launch cannot happen again from the other node.
  const auto again = client_a.post_json("/api/sim/launches", R"({"token":"ZEBRA","liquidity":"100","price":"0.0001"})");
  EXPECT_EQ(again.status, 409) << again.body;

  // Both nodes applied the same changes: the price (one per venue) and the
  // launch, and the launch refused the second time.
  EXPECT_TRUE(eventually([&] { return market_of(client_a) == market_of(client_b); }, 5s));
  EXPECT_EQ(market_of(client_a).at("changes").to_number<std::int64_t>(), 4);
}

TEST(ClusterMarket, NewTokensLaunchFromOneNodeAndFromTheOtherOnceItDies) {
  TwoNodes nodes({"--sim", "fast", "--sim-launch-every", "0.3"});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  std::string holder;
  ASSERT_TRUE(eventually(
      [&] {
        holder = std::string(market_of(client_a).at("holder").as_string());
        return !holder.empty() && market_of(client_a).at("changes").to_number<std::int64_t>() >= 3;
      },
      20s));
  ServerProcess& dying = holder == "a" ? a : b;
  ServerProcess& survivor = holder == "a" ? b : a;
  HttpClient client(survivor.port());
  EXPECT_EQ(survivor.stdout_tail().find("launches the market's new tokens"), std::string::npos)
      << "both nodes launched new tokens at once";
  dying.kill9();
  const auto killed = std::chrono::steady_clock::now();
  const auto before = market_of(client).at("changes").to_number<std::int64_t>();
  ASSERT_TRUE(eventually([&] { return market_of(client).at("holder").as_string() == (holder == "a" ? "b" : "a"); }, 30s));
  // The lease (2 s) ran out, then the survivor took it; 3x slack.
  EXPECT_LT(std::chrono::steady_clock::now() - killed, 3 * (2s + 2s));
  EXPECT_TRUE(eventually([&] { return market_of(client).at("changes").to_number<std::int64_t>() > before + 2; }, 20s));
  // Each launch came after the last: numbered in turn, none refused.
  EXPECT_EQ(survivor.stdout_tail().find("did not launch"), std::string::npos);
}

}  // namespace
}  // namespace oee::e2e
