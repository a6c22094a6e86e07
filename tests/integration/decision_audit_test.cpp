// The decision audit of oee-logdump --verify against logs written through a
// test-only writer (the order store, any event the state machine allows,
// on a virtual clock for exact times): a clean log of every kind of
// decision verifies, and one tampered decision of each kind is caught and
// named with what was recorded and what its facts give.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/domain/router.h"
#include "core/domain/sniper_watch.h"
#include "core/domain/trigger.h"
#include "core/engine/log_audit.h"
#include "core/engine/sim_chain.h"
#include "core/engine/virtual_clock.h"
#include "order_lifecycle.h"
#include "scratch_log.h"

namespace oee::core {
namespace {

using namespace std::chrono_literals;

constexpr TimestampNs kStart{1'767'225'600'000'000'000};

// Writes orders event by event as the engine would, with whatever facts a
// test gives them; the clock moves only when told.
class DecisionLog {
 public:
  DecisionLog() { clock_.install(); }

  // One order's events, in order; `events` may refer to the order's id.
  OrderId write(const std::function<std::vector<OrderEvent>(const OrderId&)>& events) {
    const OrderId id = OrderId::random();
    write(id, events(id));
    return id;
  }

  void write(const OrderId& id, const std::vector<OrderEvent>& events) {
    OrderState& state = states_[id];
    for (const auto& e : events) {
      auto appended = testing::append_and_wait(scratch_.store(), id, state, e);
      ASSERT_TRUE(appended) << appended.error().message();
      state = appended->state;
    }
  }

  void wait(std::chrono::milliseconds d) { clock_.advance(d); }
  [[nodiscard]] TimestampNs now() const { return clock_.now(); }
  AuditReport audit() { return audit_log(scratch_.log()); }

 private:
  VirtualClock clock_{kStart};
  testing::ScratchLog scratch_{"decision-audit"};
  std::unordered_map<OrderId, OrderState, OrderIdHash> states_;
};

const TokenId kSol = token_id("SOL");
const TokenId kUsdc = token_id("USDC");
const Amount kOneSol{1'000'000'000};
const Pools kPools{Pool{Amount{67'939'028'797'995}, Amount{10'000'000'000'000}, 25},
                   Pool{Amount{69'488'381'368'914}, Amount{10'000'000'000'000}, 20}};

// An order of 1 SOL for `output`.
OrderSubmitted submitted(OrderType type, TokenId output, Amount min_amount_out = {}, TimestampNs expires_at = {}) {
  OrderSubmitted s;
  s.order_type = type;
  s.input_token = kSol;
  s.output_token = output;
  s.amount_in = kOneSol;
  s.slippage_bps = type == OrderType::market ? 100 : 0;
  s.min_amount_out = min_amount_out;
  s.expires_at = expires_at;
  return s;
}

OrderSubmitted market_order() { return submitted(OrderType::market, kUsdc); }

Routed routed(std::uint32_t attempt, const RouteDecision& d, std::uint32_t slippage_bps = 100) {
  return Routed{attempt, kSol, kUsdc, kOneSol, d.quotes, d.best.venue, d.best.amount_out,
                min_out_for(d.best.amount_out, slippage_bps)};
}

// A market order as the engine runs it, every fact as it should be.
std::vector<OrderEvent> clean_market(const OrderId& id) {
  const RouteDecision d = route_on(kPools, kOneSol);
  const Routed r = routed(1, d);
  const std::string tx = SimChain::tx_id(id, 1);
  return {market_order(), RoutingStarted{1}, r, TxSubmitted{1, r.venue, tx, r.min_out},
          Confirmed{1, r.venue, tx, d.best.amount_out, kSol, kUsdc, kOneSol, d.best}};
}

std::vector<DecisionViolation> violations_of(const AuditReport& report, DecisionKind kind) {
  std::vector<DecisionViolation> out;
  for (const auto& v : report.decision_violations) {
    if (v.kind == kind) out.push_back(v);
  }
  return out;
}

const Token& new_token(const char* symbol) { return TokenId::name(symbol).value().token(); }

// A sniper for `symbol` watching, and a launch of it on raydium with 100 SOL
// of liquidity at 0.0001 SOL per token.
struct Sniper {
  OrderSubmitted submitted;
  LaunchSeen launch;
};
Sniper sniper_for(const char* symbol, bool freeze_authority = false) {
  const TokenId token(new_token(symbol));
  // At least 1,000 tokens (6 decimals) for 1 SOL.
  const OrderSubmitted s =
      submitted(OrderType::sniper, token, Amount{1'000'000'000}, TimestampNs{kStart.value + 3'600'000'000'000});
  return Sniper{s, LaunchSeen{Venue::raydium, 1, Amount{1'000'000'000'000}, Amount{100'000'000'000}, true,
                              freeze_authority}};
}

Triggered sniper_trigger(const Sniper& s, TimestampNs observed) {
  Pools passing{};
  passing[0] = launch_pool(s.launch.venue, s.launch.token_reserve, s.launch.quote_reserve);
  const auto d = fires(passing, s.submitted.amount_in, s.submitted.min_amount_out).value();
  return Triggered{1, kSol, s.submitted.output_token, kOneSol, d.quotes, d.best.venue, d.best.amount_out,
                   s.submitted.min_amount_out, observed, {s.launch}};
}

// A limit order of 1 SOL asking `first`, amended to ask `then`, that fires
// on `threshold` with the pools' best quote.
std::vector<OrderEvent> amended_limit(Amount first, Amount then, Amount threshold, TimestampNs now) {
  const RouteDecision d = route_on(kPools, kOneSol);
  const OrderSubmitted s = submitted(OrderType::limit, kUsdc, first, TimestampNs{now.value + 60'000'000'000});
  OrderState open;
  open.status = Status::open;
  open.input_token = kSol;
  open.output_token = kUsdc;
  open.amount_in = kOneSol;
  return {s, Opened{0}, amend_event(open, then, s.expires_at),
          Triggered{1, kSol, kUsdc, kOneSol, d.quotes, d.best.venue, d.best.amount_out, threshold, now}};
}

TEST(DecisionAudit, ACleanLogOfEveryKindOfDecisionVerifies) {
  AuditReport report;
  DecisionLog full;
  full.write(clean_market);
  const OrderId retried = OrderId::random();
  const RouteDecision d = route_on(kPools, kOneSol);
  const Routed r1 = routed(1, d), r2 = routed(2, d), r3 = routed(3, d);
  full.write(retried, {market_order(), RoutingStarted{1}, r1, TxSubmitted{1, r1.venue, SimChain::tx_id(retried, 1), r1.min_out},
                       AttemptFailed{1, "transaction dropped: blockhash expired", TimestampNs{full.now().value + 100'000'000}}});
  full.wait(100ms);
  // The second in one record, as the executor writes it now (after one
  // written step by step, as in a log from before it).
  full.write(retried, {RoutedAndSent{true, r2, TxSubmitted{2, r2.venue, SimChain::tx_id(retried, 2), r2.min_out}},
                       AttemptFailed{2, "transaction dropped: blockhash expired", TimestampNs{full.now().value + 200'000'000}}});
  full.wait(200ms);
  // The third is refused for slippage: the pool it met gives less than the floor.
  const Quote thin = quote_pool(r3.venue, Pool{Amount{90'000'000'000'000}, Amount{10'000'000'000'000}, 25}, kOneSol);
  ASSERT_LT(thin.amount_out, r3.min_out);
  full.write(retried, {RoutingStarted{3}, r3, TxSubmitted{3, r3.venue, SimChain::tx_id(retried, 3), r3.min_out},
                       AttemptFailed{3, "slippage exceeded", TimestampNs{full.now().value + 400'000'000}, thin}});
  // A sniper that turns one launch down (freeze authority) and buys another.
  const Sniper frozen = sniper_for("AUDIT1", true);
  const Sniper fine = sniper_for("AUDIT2");
  const auto fault = sniper_fault(frozen.submitted.checks, kOneSol, frozen.submitted.min_amount_out, frozen.launch, 9, 6);
  ASSERT_TRUE(fault);
  full.write([&](const OrderId&) {
    return std::vector<OrderEvent>{frozen.submitted, WatchStarted{0},
                                   LaunchRejected{0, Venue::raydium, 1, *fault, frozen.launch}};
  });
  full.write([&](const OrderId&) {
    return std::vector<OrderEvent>{fine.submitted, WatchStarted{0}, sniper_trigger(fine, full.now())};
  });
  // A limit order that expires at its deadline.
  const OrderId limit = OrderId::random();
  full.write(limit, {submitted(OrderType::limit, kUsdc, Amount{999'000'000'000},
                               TimestampNs{full.now().value + 1'000'000'000}),
                     Opened{0}});
  full.wait(1000ms);
  full.write(limit, {Expired{0}});
  // A limit order amended down to a floor the market pays, fired on it.
  const Amount paid{route_on(kPools, kOneSol).best.amount_out.base - 1'000};
  full.write([&](const OrderId&) { return amended_limit(Amount{999'000'000'000}, paid, paid, full.now()); });

  report = full.audit();
  ASSERT_FALSE(report.problem) << report.problem->message;
  EXPECT_EQ(report.decision_violation_count, 0U)
      << (report.decision_violations.empty() ? "" : report.decision_violations.front().recorded + " / " +
                                                         report.decision_violations.front().recomputed);
  for (std::size_t k = 0; k < kDecisionKinds; ++k) {
    EXPECT_GT(report.decisions[k].checked, 0U) << decision_kind_name(static_cast<DecisionKind>(k)) << " never checked";
  }
}

// Each case writes one order whose one decision was tampered with.
struct Tamper {
  const char* name;
  DecisionKind kind;
  std::function<void(DecisionLog&)> write;
};

TEST(DecisionAudit, ATamperedDecisionOfEachKindIsCaughtWithWhatItRecordsAndWhatItsFactsGive) {
  const RouteDecision d = route_on(kPools, kOneSol);
  const Quote& worse = d.quotes[d.best.venue == Venue::raydium ? 1 : 0];
  const std::vector<Tamper> cases{
      {"the worse venue chosen", DecisionKind::routing,
       [&](DecisionLog& log) {
         log.write([&](const OrderId&) {
           return std::vector<OrderEvent>{market_order(), RoutingStarted{1},
                                          Routed{1, kSol, kUsdc, kOneSol, d.quotes, worse.venue, worse.amount_out,
                                                 min_out_for(worse.amount_out, 100)}};
         });
       }},
      {"a floor above what the slippage gives", DecisionKind::min_out,
       [&](DecisionLog& log) {
         log.write([&](const OrderId&) {
           Routed r = routed(1, d);
           r.min_out.base += 1;
           return std::vector<OrderEvent>{market_order(), RoutingStarted{1}, r};
         });
       }},
      {"a transaction under another signature", DecisionKind::transaction,
       [&](DecisionLog& log) {
         log.write([&](const OrderId&) {
           const Routed r = routed(1, d);
           return std::vector<OrderEvent>{market_order(), RoutingStarted{1}, r,
                                          TxSubmitted{1, r.venue, "not-its-signature", r.min_out}};
         });
       }},
      {"a fill of more than its pool gives", DecisionKind::fill,
       [&](DecisionLog& log) {
         log.write([&](const OrderId& id) {
           auto events = clean_market(id);
           std::get<Confirmed>(events.back()).amount_out.base += 1;
           return events;
         });
       }},
      {"a refusal the pool would have paid", DecisionKind::refusal,
       [&](DecisionLog& log) {
         log.write([&](const OrderId& id) {
           const Routed r = routed(1, d);
           return std::vector<OrderEvent>{market_order(), RoutingStarted{1}, r,
                                          TxSubmitted{1, r.venue, SimChain::tx_id(id, 1), r.min_out},
                                          AttemptFailed{1, "slippage exceeded", TimestampNs{log.now().value + 1'000'000},
                                                        d.best}};
         });
       }},
      {"a sniper buying a launch with a freeze authority", DecisionKind::launch,
       [&](DecisionLog& log) {
         const Sniper s = sniper_for("TAMPER1", true);
         log.write([&](const OrderId&) {
           return std::vector<OrderEvent>{s.submitted, WatchStarted{0}, sniper_trigger(s, log.now())};
         });
       }},
      {"an expiry before its deadline", DecisionKind::expiry,
       [&](DecisionLog& log) {
         log.write([&](const OrderId&) {
           return std::vector<OrderEvent>{submitted(OrderType::limit, kUsdc, Amount{999'000'000'000},
                                                    TimestampNs{log.now().value + 60'000'000'000}),
                                          Opened{0}, Expired{0}};
         });
       }},
      {"a backoff that does not double", DecisionKind::retry,
       [&](DecisionLog& log) {
         const OrderId id = OrderId::random();
         const Routed r1 = routed(1, d), r2 = routed(2, d);
         log.write(id, {market_order(), RoutingStarted{1}, r1, TxSubmitted{1, r1.venue, SimChain::tx_id(id, 1), r1.min_out},
                        AttemptFailed{1, "dropped", TimestampNs{log.now().value + 100'000'000}}});
         log.wait(100ms);
         log.write(id, {RoutingStarted{2}, r2, TxSubmitted{2, r2.venue, SimChain::tx_id(id, 2), r2.min_out},
                        AttemptFailed{2, "dropped", TimestampNs{log.now().value + 150'000'000}}});
       }},
      {"a retry before its time", DecisionKind::retry,
       [&](DecisionLog& log) {
         const OrderId id = OrderId::random();
         const Routed r1 = routed(1, d);
         log.write(id, {market_order(), RoutingStarted{1}, r1, TxSubmitted{1, r1.venue, SimChain::tx_id(id, 1), r1.min_out},
                        AttemptFailed{1, "dropped", TimestampNs{log.now().value + 100'000'000}}});
         log.wait(50ms);
         log.write(id, {RoutingStarted{2}});
       }},
      // The same decisions made in one record (routedAndSent), as the
      // executor writes them now: each checked on the state its step had.
      {"the worse venue chosen, in one record", DecisionKind::routing,
       [&](DecisionLog& log) {
         log.write([&](const OrderId& id) {
           const Routed r{1, kSol, kUsdc, kOneSol, d.quotes, worse.venue, worse.amount_out,
                          min_out_for(worse.amount_out, 100)};
           return std::vector<OrderEvent>{
               market_order(), RoutedAndSent{true, r, TxSubmitted{1, r.venue, SimChain::tx_id(id, 1), r.min_out}}};
         });
       }},
      {"a transaction under another signature, in one record", DecisionKind::transaction,
       [&](DecisionLog& log) {
         log.write([&](const OrderId&) {
           const Routed r = routed(1, d);
           return std::vector<OrderEvent>{market_order(),
                                          RoutedAndSent{true, r, TxSubmitted{1, r.venue, "not-its-signature", r.min_out}}};
         });
       }},
      {"a retry before its time, in one record", DecisionKind::retry,
       [&](DecisionLog& log) {
         const OrderId id = OrderId::random();
         const Routed r1 = routed(1, d), r2 = routed(2, d);
         log.write(id, {market_order(), RoutedAndSent{true, r1, TxSubmitted{1, r1.venue, SimChain::tx_id(id, 1), r1.min_out}},
                        AttemptFailed{1, "dropped", TimestampNs{log.now().value + 100'000'000}}});
         log.wait(50ms);
         log.write(id, {RoutedAndSent{true, r2, TxSubmitted{2, r2.venue, SimChain::tx_id(id, 2), r2.min_out}}});
       }},
      {"one transaction confirming two orders", DecisionKind::one_fill,
       [&](DecisionLog& log) {
         const OrderId first = log.write(clean_market);
         log.write([&](const OrderId&) {
           auto events = clean_market(first);  // the first order's transaction, again
           return events;
         });
       }},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    DecisionLog log;
    log.write(clean_market);
    c.write(log);
    const AuditReport report = log.audit();
    ASSERT_FALSE(report.problem) << report.problem->message;
    const auto caught = violations_of(report, c.kind);
    ASSERT_EQ(caught.size(), 1U) << "violations: " << report.decision_violation_count;
    EXPECT_FALSE(caught.front().recorded.empty());
    EXPECT_FALSE(caught.front().recomputed.empty());
    EXPECT_NE(caught.front().recorded, caught.front().recomputed);
  }
}

TEST(DecisionAudit, ATriggerOnTheFloorAnAmendmentReplacedIsCaught) {
  const Amount best = route_on(kPools, kOneSol).best.amount_out;
  DecisionLog log;
  log.write([&](const OrderId&) {
    return amended_limit(Amount{best.base - 1'000}, Amount{best.base + 1'000}, Amount{best.base - 1'000}, log.now());
  });
  const AuditReport report = log.audit();
  ASSERT_TRUE(report.problem);
  EXPECT_NE(report.problem->message.find("fired on threshold"), std::string::npos) << report.problem->message;
}

TEST(DecisionAudit, WhatAnOlderEventDoesNotRecordIsNotCheckableNotAViolation) {
  DecisionLog log;
  log.write([&](const OrderId& id) {
    auto events = clean_market(id);
    std::get<Confirmed>(events.back()).executed_on.reset();  // as before fills recorded their pool
    return events;
  });
  const Sniper s = sniper_for("OLDLOG1", true);
  log.write([&](const OrderId&) {
    return std::vector<OrderEvent>{s.submitted, WatchStarted{0},
                                   LaunchRejected{0, Venue::raydium, 1, "freeze authority present", std::nullopt}};
  });
  const AuditReport report = log.audit();
  ASSERT_FALSE(report.problem) << report.problem->message;
  EXPECT_EQ(report.decision_violation_count, 0U);
  EXPECT_EQ(report.decisions[static_cast<std::size_t>(DecisionKind::fill)].not_checkable, 1U);
  EXPECT_EQ(report.decisions[static_cast<std::size_t>(DecisionKind::launch)].not_checkable, 1U);
}

}  // namespace
}  // namespace oee::core
