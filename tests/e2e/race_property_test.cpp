// Races decided by the log, reached on purpose: on a virtual clock
// (--sim-clock virtual) a waiting order's trigger (its price reached, or its
// token launched), its owner's cancel, its expiry and its owner's amendment
// (a floor the trigger no longer pays) are made to happen in every order,
// ties included: every assignment of the four to four instants. Whatever
// the log takes first decides and the rest lose cleanly: exactly one
// ending; the cancel and the amendment answered 200 only while the order
// still waited, 409 with its status after; nothing executed after a
// cancel, an expiry or an amendment that came before the trigger. Every
// ordering class is checked to have occurred.

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

enum class Action { trigger, cancel, expiry, amend };
constexpr std::array<const char*, 4> kActionNames{"trigger", "cancel", "expiry", "amend"};

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

  // A floor the trigger does not pay: 400 USDC for 2 SOL (at 170, about
  // 339), or a sniper's 0.00001 SOL per token (the launch asks 0.0001).
  int amend(const std::string& id) {
    const auto r = client_->request("PATCH", "/api/orders/" + id,
                                    limit() ? R"({"minAmountOut":"400"})" : R"({"maxPrice":"0.00001"})");
    if (r.status == 409) {
      EXPECT_EQ(r.json().at("error").at("code").as_string(), "too_late") << r.body;
    }
    return r.status;
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

// What a plan (in the order the log takes it) must come to.
struct Expected {
  std::string status;
  int cancel_status = 409;
  int amend_status = 409;
  bool triggered = false;
};
Expected expected_of(const std::vector<Scheduled>& plan) {
  Expected e;
  bool amended = false;
  for (const auto& s : plan) {
    if (!e.status.empty()) break;  // ended: what follows is refused
    switch (s.action) {
      case Action::trigger:
        if (!amended) {
          e.status = "confirmed";
          e.triggered = true;
        }
        break;
      case Action::cancel:
        e.status = "cancelled";
        e.cancel_status = 200;
        break;
      case Action::expiry: e.status = "expired"; break;
      case Action::amend:
        amended = true;
        e.amend_status = 200;
        break;
    }
  }
  return e;
}

TEST_P(WaitingOrderRaces, WhatTheLogTakesFirstOfTriggerCancelExpiryAndAmendDecidesAndEveryOrderingOccurs) {
  HttpClient& c = *client_;
  std::mt19937 rng(20261126);
  std::map<std::string, int> classes;  // "cancel<trigger<expiry<amend" and the like, "=" for one instant
  constexpr int kInstants = 4;
  // Every assignment of the four actions to four instants, 100 ms apart.
  for (int code = 0; code < kInstants * kInstants * kInstants * kInstants; ++code) {
    const int round = code;  // each assignment is a round of its own
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<Scheduled> plan;
    for (int a = 0, rest = code; a < 4; ++a, rest /= kInstants) {
      plan.push_back(Scheduled{static_cast<Action>(a), std::int64_t{100} * (1 + rest % kInstants)});
    }
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
    int cancel_status = 0, amend_status = 0;
    for (std::size_t i = 0; i < plan.size(); ++i) {
      const Scheduled& s = plan[i];
      if (i > 0) name += plan[i - 1].at_ms == s.at_ms ? "=" : "<";
      name += kActionNames[static_cast<std::size_t>(s.action)];
      advance(c, s.at_ms - at);
      at = s.at_ms;
      if (s.action == Action::trigger) trigger(round);
      if (s.action == Action::cancel) cancel_status = c.request("DELETE", "/api/orders/" + id, {}, {}).status;
      if (s.action == Action::amend) amend_status = amend(id);
    }
    advance(c, 1000);  // what a trigger set off runs to its end
    ++classes[name];

    const Expected expected = expected_of(plan);
    const auto names = event_names(c, id);
    const std::string status = status_of(c, id);
    SCOPED_TRACE(name + " -> " + status);
    EXPECT_EQ(status, expected.status);
    EXPECT_EQ(count_of(names, "confirmed") + count_of(names, "cancelled") + count_of(names, "expired"), 1)
        << "exactly one ending";
    EXPECT_EQ(cancel_status, expected.cancel_status);
    EXPECT_EQ(amend_status, expected.amend_status);
    EXPECT_EQ(count_of(names, "triggered"), expected.triggered ? 1 : 0);
    EXPECT_EQ(count_of(names, "amended") + count_of(names, "watchAmended"), expected.amend_status == 200 ? 1 : 0);
  }
  // Every strict ordering of the four, and ties, were reached.
  std::array<Action, 4> order{Action::trigger, Action::cancel, Action::expiry, Action::amend};
  int strict = 0;
  do {
    std::string s;
    for (Action a : order) s += (s.empty() ? "" : "<") + std::string(kActionNames[static_cast<std::size_t>(a)]);
    EXPECT_GT(classes[s], 0) << "never reached: " << s;
    ++strict;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(strict, 24);
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
