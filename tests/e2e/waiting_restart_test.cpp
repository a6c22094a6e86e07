// Waiting orders at scale through kill -9: 10,000 open limit orders and
// 1,000 watching snipers in the real server. After the restart every one
// still waits, or has expired if its time passed during the outage, before
// any price or launch was looked at; then each fires exactly once.

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "chain_ledger.h"
#include "harness.h"
#include "order_reads.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;

constexpr int kThreads = 8;  // enough connections for the log to commit them in groups

// Runs `work(client, i)` for i in [0, count) on kThreads connections; any
// exception stops the test with its message.
void in_parallel(unsigned short port, int count, const std::function<void(HttpClient&, int)>& work) {
  std::atomic<int> next{0};
  std::mutex mu;
  std::string failure;
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      try {
        HttpClient client(port);
        for (int i = next++; i < count; i = next++) work(client, i);
      } catch (const std::exception& e) {
        const std::lock_guard lock(mu);
        failure = e.what();
        next = count;
      }
    });
  }
  threads.clear();
  if (!failure.empty()) throw std::runtime_error(failure);
}

std::vector<std::string> submit_many(unsigned short port, int count, const std::string& body) {
  std::vector<std::string> ids(count);
  in_parallel(port, count, [&](HttpClient& c, int i) { ids[i] = submit_orders(c, 1, body).front(); });
  return ids;
}

// Every order's status; the orders whose status is not `wanted`, with it.
std::vector<std::string> not_in(unsigned short port, const std::vector<std::string>& ids, const std::string& wanted) {
  std::vector<std::string> statuses(ids.size());
  in_parallel(port, static_cast<int>(ids.size()), [&](HttpClient& c, int i) { statuses[i] = status_of(c, ids[i]); });
  std::vector<std::string> others;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (statuses[i] != wanted) others.push_back(ids[i] + " " + statuses[i]);
  }
  return others;
}

// The orders whose events do not hold each name the given number of times.
std::vector<std::string> wrong_counts(unsigned short port, const std::vector<std::string>& ids,
                                      const std::vector<std::pair<std::string, long>>& counts) {
  std::vector<std::string> wrong(ids.size());
  in_parallel(port, static_cast<int>(ids.size()), [&](HttpClient& c, int i) {
    const auto events = event_names(c, ids[i]);
    for (const auto& [name, n] : counts) {
      if (count_of(events, name) != n) wrong[i] += " " + name + " x" + std::to_string(count_of(events, name));
    }
  });
  std::vector<std::string> out;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (!wrong[i].empty()) out.push_back(ids[i] + wrong[i]);
  }
  return out;
}

std::string first_of(const std::vector<std::string>& v) { return v.empty() ? "" : v.front(); }

// Whether the sample comes to show `value` (a minute: 9,900 executions
// under the sanitizers take a while).
bool metric_reaches(HttpClient& c, const std::string& sample, double value) {
  return eventually([&] { return metric_value(c.get("/metrics").body, sample) == value; }, 60s);
}

TEST(WaitingOrdersAtScale, TenThousandLimitsAndAThousandSnipersSurviveKill9AndEachFiresOnce) {
  TempDir dir;
  ServerProcess server(dir.path() / "data", {"--sim", "fast", "--sim-control", "--watch-interval", "20",
                                             "--sim-launch-every", "0"});
  server.start();
  HttpClient c(server.port());
  // 0.5 USDC per SOL: nothing fires while the server runs.
  ASSERT_EQ(c.post_json("/api/sim/prices", R"({"pair":"SOL/USDC","price":"0.5"})").status, 200);

  const std::string limit = R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":"1","minAmountOut":)";
  const std::string sniper = R"({"type":"sniper","targetToken":"RESTART","amount":"1","maxPrice":"0.001")";
  const auto limits = submit_many(server.port(), 9000, limit + R"("1000"})");
  const auto snipers = submit_many(server.port(), 900, sniper + "}");
  ASSERT_TRUE(metric_reaches(c, R"(oee_open_orders{type="limit",pair="SOL/USDC"})", 9000));
  ASSERT_TRUE(metric_reaches(c, R"(oee_open_orders{type="sniper",pair="SOL/new"})", 900));
  // These ask 1 USDC for 1 SOL, which the drifting price after a restart
  // pays at once; they expire during the outage. Their clock starts once
  // the others wait, so it covers only their own submits.
  const std::int64_t short_expiry = now_ms() + 8000;
  const std::string expires = ",\"expiresAt\":" + std::to_string(short_expiry) + "}";
  const auto expiring_limits = submit_many(server.port(), 1000, limit + R"("1")" + expires);
  const auto expiring_snipers = submit_many(server.port(), 100, sniper + expires);
  ASSERT_TRUE(metric_reaches(c, R"(oee_open_orders{type="limit",pair="SOL/USDC"})", 10000));
  ASSERT_TRUE(metric_reaches(c, R"(oee_open_orders{type="sniper",pair="SOL/new"})", 1000));
  ASSERT_LT(now_ms(), short_expiry) << "the short orders must still be waiting when the server is killed";
  server.kill9();
  while (now_ms() <= short_expiry) std::this_thread::sleep_for(50ms);  // the outage outlasts their expiry

  server.start(server.port());
  HttpClient after(server.port());
  ASSERT_TRUE(metric_reaches(after, R"(oee_open_orders{type="limit",pair="SOL/USDC"})", 9000));
  ASSERT_TRUE(metric_reaches(after, R"(oee_open_orders{type="sniper",pair="SOL/new"})", 900));
  auto wrong = not_in(server.port(), limits, "open");
  EXPECT_TRUE(wrong.empty()) << wrong.size() << " limit orders, e.g. " << first_of(wrong);
  wrong = not_in(server.port(), snipers, "watching");
  EXPECT_TRUE(wrong.empty()) << wrong.size() << " snipers, e.g. " << first_of(wrong);
  // Expired as the book and the watch were rebuilt, before any look at a
  // price: none of them was triggered.
  for (const auto* expired : {&expiring_limits, &expiring_snipers}) {
    ASSERT_TRUE(eventually([&] { return not_in(server.port(), *expired, "expired").empty(); }, 60s));
    wrong = wrong_counts(server.port(), *expired, {{"expired", 1}, {"triggered", 0}});
    EXPECT_TRUE(wrong.empty()) << wrong.size() << " orders, e.g. " << first_of(wrong);
  }

  // Now every waiting order fires, each exactly once.
  ASSERT_EQ(after.post_json("/api/sim/prices", R"({"pair":"SOL/USDC","price":"2000"})").status, 200);
  ASSERT_EQ(after.post_json("/api/sim/launches", R"({"token":"RESTART","liquidity":"100","price":"0.0001"})").status,
            200);
  ASSERT_TRUE(metric_reaches(after, R"(oee_events_total{status="confirmed"})", 9900))
      << after.get("/metrics").body.substr(0, 4000);
  for (const auto* fired : {&limits, &snipers}) {
    wrong = not_in(server.port(), *fired, "confirmed");
    EXPECT_TRUE(wrong.empty()) << wrong.size() << " orders, e.g. " << first_of(wrong);
    wrong = wrong_counts(server.port(), *fired, {{"triggered", 1}, {"txSubmitted", 1}, {"confirmed", 1}});
    EXPECT_TRUE(wrong.empty()) << wrong.size() << " orders, e.g. " << first_of(wrong);
  }
  for (const auto* expired : {&expiring_limits, &expiring_snipers}) {
    wrong = not_in(server.port(), *expired, "expired");
    EXPECT_TRUE(wrong.empty()) << wrong.size() << " orders, e.g. " << first_of(wrong);
  }  // The chain's ledger holds exactly the transactions the log confirms.
  expect_ledger_equals_confirmed(dir.path() / "data", server.port());
}

}  // namespace
}  // namespace oee::e2e
