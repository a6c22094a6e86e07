// Races decided by the log, reached on purpose: on a virtual clock
// (--sim-clock virtual) a waiting order's trigger (its price reached, or its
// token launched), its owner's cancel and its expiry are made to happen in
// every order, ties included, over seeded random schedules. Whichever comes
// first in the log must win and the others must lose cleanly: exactly one
// ending, the cancel answered 200 only when it won, nothing executed after
// a cancel or an expiry. Every ordering class is checked to have occurred.

#include <algorithm>
#include <array>
#include <chrono>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.h"
#include "order_reads.h"

namespace oee::e2e {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

enum class Action { trigger, cancel, expiry };
constexpr std::array<const char*, 3> kActionNames{"trigger", "cancel", "expiry"};

struct Scheduled {
  Action action;
  std::int64_t at_ms;  // after the order is open
};

std::int64_t now_ms(HttpClient& c) { return c.get("/api/sim/clock").json().at("nowMs").to_number<std::int64_t>(); }

void advance(HttpClient& c, std::int64_t ms) {
  const auto r = c.post_json("/api/sim/clock", "{\"advanceMs\":" + std::to_string(ms) + "}");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_TRUE(r.json().at("settled").as_bool()) << r.body;
}

class WaitingOrderRaces : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    server_ = std::make_unique<ServerProcess>(
        dir_.path() / "data",
        std::vector<std::string>{"--sim", "fast", "--sim-seed", "11", "--sim-clock", "virtual", "--sim-control",
                                 "--fail-rate", "0", "--sim-launch-every", "0", "--watch-interval", "100"});
    server_->start();
    client_ = std::make_unique<HttpClient>(server_->port());
  }

  [[nodiscard]] bool limit() const { return std::string_view(GetParam()) == "limit"; }

  // A waiting order that fires once `trigger` is done, expiring `expires_in_ms` from now.
  std::string submit(int round, std::int64_t expires_in_ms) {
    HttpClient& c = *client_;
    const std::string expires = std::to_string(now_ms(c) + expires_in_ms);
    std::string body;
    if (limit()) {
      const auto pinned = c.post_json("/api/sim/prices", R"({"pair":"SOL/USDC","price":"150"})");
      EXPECT_EQ(pinned.status, 200) << pinned.body;
      // 2 SOL at 150 fetch about 299 USDC: it waits; at 170, about 339.
      body = R"({"type":"limit","inputToken":"SOL","outputToken":"USDC","amount":"2","minAmountOut":"330","expiresAt":)" +
             expires + "}";
    } else {
      body = R"({"type":"sniper","targetToken":"RACE)" + std::to_string(round) +
             R"(","amount":"1","maxPrice":"0.001","expiresAt":)" + expires + "}";
    }
    const auto r = c.post_json("/api/orders/execute", body);
    EXPECT_EQ(r.status, 202) << r.body;
    return std::string(r.json().at("orderId").as_string());
  }

  void trigger(int round) {
    HttpClient& c = *client_;
    const auto r = limit() ? c.post_json("/api/sim/prices", R"({"pair":"SOL/USDC","price":"170"})")
                           : c.post_json("/api/sim/launches", R"({"token":"RACE)" + std::to_string(round) +
                                                                  R"(","liquidity":"100","price":"0.0001"})");
    EXPECT_EQ(r.status, 200) << r.body;
  }

  TempDir dir_;
  std::unique_ptr<ServerProcess> server_;
  std::unique_ptr<HttpClient> client_;
};

TEST_P(WaitingOrderRaces, WhicheverOfTriggerCancelAndExpiryComesFirstWinsAndEveryOrderingOccurs) {
  HttpClient& c = *client_;
  std::mt19937 rng(20261125);
  std::map<std::string, int> classes;  // "cancel<trigger<expiry" and the like, "=" for one instant
  constexpr int kRounds = 48;
  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    // Times on a coarse grid, so that two actions share an instant often.
    auto when = [&] { return std::int64_t{100} * std::uniform_int_distribution<int>(1, 4)(rng); };
    std::vector<Scheduled> plan{{Action::trigger, when()}, {Action::cancel, when()}, {Action::expiry, when()}};
    std::shuffle(plan.begin(), plan.end(), rng);  // the order of actions sharing an instant
    std::stable_sort(plan.begin(), plan.end(), [](const auto& a, const auto& b) { return a.at_ms < b.at_ms; });
    // An expiry shares its instant only by coming first in it: the clock
    // reaches the instant (and the expiry fires) before anything is sent.
    for (std::size_t i = 1; i < plan.size(); ++i) {
      if (plan[i].action == Action::expiry && plan[i].at_ms == plan[i - 1].at_ms) {
        std::swap(plan[i], plan[i - 1]);
        i = 0;
      }
    }
    std::int64_t expires_in = 0;
    for (const auto& s : plan) {
      if (s.action == Action::expiry) expires_in = s.at_ms;
    }
    const std::string id = submit(round, expires_in);
    advance(c, 0);  // settled: the order waits in its book or watch
    ASSERT_EQ(status_of(c, id), limit() ? "open" : "watching");

    std::string name;
    std::int64_t at = 0;
    int cancel_status = 0;
    for (std::size_t i = 0; i < plan.size(); ++i) {
      const Scheduled& s = plan[i];
      if (i > 0) name += plan[i - 1].at_ms == s.at_ms ? "=" : "<";
      name += kActionNames[static_cast<std::size_t>(s.action)];
      advance(c, s.at_ms - at);
      at = s.at_ms;
      if (s.action == Action::trigger) trigger(round);
      if (s.action == Action::cancel) cancel_status = c.request("DELETE", "/api/orders/" + id, {}, {}).status;
    }
    advance(c, 1000);  // what a trigger set off runs to its end
    ++classes[name];

    const Action first = plan.front().action;
    const auto names = event_names(c, id);
    const std::string status = status_of(c, id);
    SCOPED_TRACE(name + " -> " + status);
    EXPECT_EQ(count_of(names, "confirmed") + count_of(names, "cancelled") + count_of(names, "expired"), 1)
        << "exactly one ending";
    if (first == Action::cancel) {
      EXPECT_EQ(cancel_status, 200);
      EXPECT_EQ(status, "cancelled");
      EXPECT_EQ(count_of(names, "triggered"), 0) << "nothing runs after a cancel";
    } else {
      EXPECT_EQ(cancel_status, 409) << "a cancel that comes second is refused";
    }
    if (first == Action::expiry) {
      EXPECT_EQ(status, "expired");
      EXPECT_EQ(count_of(names, "triggered"), 0) << "nothing runs after its expiry";
    }
    if (first == Action::trigger) {
      EXPECT_EQ(status, "confirmed");
      EXPECT_EQ(count_of(names, "triggered"), 1);
    }
  }
  // Every strict ordering of the three, and ties, were reached.
  const std::vector<std::string> strict{"trigger<cancel<expiry", "trigger<expiry<cancel", "cancel<trigger<expiry",
                                        "cancel<expiry<trigger", "expiry<trigger<cancel", "expiry<cancel<trigger"};
  for (const auto& s : strict) EXPECT_GT(classes[s], 0) << "never reached: " << s;
  int ties = 0;
  for (const auto& [name, n] : classes) {
    if (name.find('=') != std::string::npos) ties += n;
  }
  EXPECT_GT(ties, 0) << "no two actions ever shared an instant";
  std::string seen;
  for (const auto& [name, n] : classes) seen += name + "=" + std::to_string(n) + " ";
  RecordProperty("classes", seen);
}

INSTANTIATE_TEST_SUITE_P(LimitAndSniper, WaitingOrderRaces, ::testing::Values("limit", "sniper"));

}  // namespace
}  // namespace oee::e2e
