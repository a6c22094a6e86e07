// Reads of many orders on a cluster node that does not own them: an API
// key's event list and the book ask each owner once per partition (a page
// at a time), not once per order, and a read that waits on an owner holds
// no network thread: /health on the same node keeps answering.

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "cluster_nodes.h"

namespace oee::e2e {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kWaitingLimit =
    R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":1,"limitPrice":"100000"})";

// A key that reads and writes orders, made on `client` by the admin.
std::string desk_key(HttpClient& client, const std::string& admin) {
  const auto made =
      client.request("POST", "/api/keys", R"({"name":"desk","scopes":["orders:read","orders:write"]})", as_key(admin));
  EXPECT_EQ(made.status, 201) << made.body;
  return made.status == 201 ? std::string(made.json().at("key").as_string()) : std::string{};
}

// `count` waiting limit orders submitted to `client` with `secret`: an
// unkeyed submit lands in a partition of the node that takes it.
std::set<std::string> submit_waiting_as(HttpClient& client, const std::string& secret, int count) {
  std::set<std::string> ids;
  for (int i = 0; i < count; ++i) {
    const auto res = client.request("POST", "/api/orders/execute", kWaitingLimit, as_key(secret));
    EXPECT_EQ(res.status, 202) << res.body;
    if (res.status == 202) ids.emplace(res.json().at("orderId").as_string());
  }
  return ids;
}

double answered_reads(HttpClient& client, const std::string& admin) {
  return metric_value(client.request("GET", "/metrics", {}, as_key(admin)).body, "oee_answered_reads_total");
}

TEST(ClusterReads, AListOnANodeThatOwnsNoneOfItsOrdersAsksEachOwnerOncePerPage) {
  const std::string admin = random_admin_key();
  TwoNodes nodes({"--sim", "fast", "--admin-key", admin});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  const std::string secret = desk_key(client_a, admin);
  ASSERT_FALSE(secret.empty());
  constexpr int kOrders = 60;
  const auto ids = submit_waiting_as(client_a, secret, kOrders);
  ASSERT_EQ(ids.size(), static_cast<std::size_t>(kOrders));
  // Every order is in a partition a executes: b reads them from a.
  std::set<std::string> listed;
  ASSERT_TRUE(eventually(
      [&] {
        const double before = answered_reads(client_a, admin);
        const auto res = client_b.request("GET", "/api/events?limit=10000", {}, as_key(secret));
        if (res.status != 200) return false;
        listed.clear();
        const json::value page = res.json();
        for (const auto& e : page.at("events").as_array()) listed.emplace(e.at("orderId").as_string());
        if (listed.size() < ids.size()) return false;  // b's key may be learnt a moment later
        const double asked = answered_reads(client_a, admin) - before;
        EXPECT_GE(before, 0.0) << "a does not count the reads it answers";
        EXPECT_GE(asked, 1.0) << "b read a's orders without asking a";
        EXPECT_LE(asked, 2.0 * kPartitions) << "b asked a per order, not per partition";
        return true;
      },
      15s))
      << "b's list of the key's events lacks orders: " << listed.size() << " of " << ids.size();
  EXPECT_EQ(listed, ids) << "the key's list holds other than its orders";

  const double before_book = answered_reads(client_a, admin);
  const auto book = client_b.request("GET", "/api/book/SOL/USDC", {}, as_key(secret));
  ASSERT_EQ(book.status, 200) << book.body;
  EXPECT_EQ(book.json().at("orders").to_number<int>(), kOrders) << book.body;
  const double asked_for_book = answered_reads(client_a, admin) - before_book;
  EXPECT_GE(asked_for_book, 1.0) << "b read a's open orders without asking a";
  EXPECT_LE(asked_for_book, 2.0 * kPartitions) << "b asked a per order for the book";
}

// With the owner of every order listed paused, b's list waits for it (until
// b takes its partitions over); meanwhile b, on one network thread, still
// answers /health: the list waits on no network thread.
TEST(ClusterReads, AListWaitingOnAPausedOwnerLeavesHealthAnswering) {
  const std::string admin = random_admin_key();
  TwoNodes nodes({"--sim", "fast", "--admin-key", admin, "--threads", "1"});
  auto [nats, a, b] = nodes.parts();
  HttpClient client_a(a.port()), client_b(b.port());
  const std::string secret = desk_key(client_a, admin);
  ASSERT_FALSE(secret.empty());
  const auto ids = submit_waiting_as(client_a, secret, 20);
  ASSERT_EQ(ids.size(), 20U);

  ::kill(a.pid(), SIGSTOP);
  std::atomic<bool> listed{false};
  int list_status = 0;
  std::thread list([&] {
    HttpClient client(b.port());
    list_status = client.request("GET", "/api/events?limit=10000", {}, as_key(secret)).status;
    listed = true;
  });
  int answered_meanwhile = 0;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!listed && std::chrono::steady_clock::now() < deadline) {
    const auto health = client_b.get("/health");
    EXPECT_NE(health.status, 0) << "b did not answer /health";
    if (!listed) ++answered_meanwhile;
    std::this_thread::sleep_for(50ms);  // a poll's pace, not a synchronisation
  }
  list.join();
  ::kill(a.pid(), SIGCONT);
  EXPECT_EQ(list_status, 200) << "the list did not end once b took a's partitions";
  // The list waits at least until a's lease (2 s) runs out.
  EXPECT_GE(answered_meanwhile, 10) << "/health waited for the list";
}

}  // namespace
}  // namespace oee::e2e
