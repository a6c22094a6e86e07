#include "core/domain/order.h"

#include <array>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace oee::core {
namespace {

constexpr std::array<Status, kStatusCount> kStatuses = {
    Status::none,      Status::pending, Status::routing, Status::building,  Status::submitted,
    Status::confirmed, Status::failed,  Status::open,    Status::cancelled, Status::expired,
    Status::watching,  Status::partially_filled, Status::active, Status::completed};
// Every order event the domain has: the table must decide each pair.
constexpr const auto& kEvents = kOrderEventTypes;

// The expected lifecycle, written out independently of order.cpp.
std::optional<Status> expected_transition(Status from, EventType ev) {
  using E = EventType;
  using S = Status;
  switch (from) {
    case S::none:
      if (ev == E::submitted) return S::pending;
      return std::nullopt;
    case S::pending:
      if (ev == E::routing_started) return S::routing;
      // A new attempt routed and its transaction sent, in one record.
      if (ev == E::routed_and_sent) return S::submitted;
      if (ev == E::order_failed) return S::failed;
      // A new limit order enters the book; before its execution begins an
      // order may be cancelled or expire.
      if (ev == E::opened) return S::open;
      if (ev == E::watch_started) return S::watching;
      if (ev == E::recurring_started) return S::active;
      if (ev == E::cancelled) return S::cancelled;
      if (ev == E::expired) return S::expired;
      return std::nullopt;
    case S::routing:
      if (ev == E::routed) return S::building;
      if (ev == E::routed_and_sent) return S::submitted;
      if (ev == E::attempt_failed) return S::pending;
      if (ev == E::order_failed) return S::failed;
      if (ev == E::reopened) return S::open;
      return std::nullopt;
    case S::building:
      if (ev == E::tx_submitted) return S::submitted;
      if (ev == E::attempt_failed) return S::pending;
      if (ev == E::order_failed) return S::failed;
      if (ev == E::reopened) return S::open;
      return std::nullopt;
    case S::submitted:
      // A split order's legs settle one by one, and it may end with some filled.
      if (ev == E::leg_settled) return S::submitted;
      if (ev == E::partially_filled) return S::partially_filled;
      if (ev == E::confirmed) return S::confirmed;
      if (ev == E::attempt_failed) return S::pending;
      if (ev == E::order_failed) return S::failed;
      if (ev == E::reopened) return S::open;
      return std::nullopt;
    case S::open:
      // Waiting: the first of a trigger, a cancel and the expiry wins; an
      // amendment before them leaves it waiting.
      if (ev == E::triggered) return S::routing;
      if (ev == E::amended) return S::open;
      if (ev == E::cancelled) return S::cancelled;
      if (ev == E::expired) return S::expired;
      return std::nullopt;
    case S::watching:
      // A sniper: as open, and a launch it turns down leaves it watching.
      if (ev == E::triggered) return S::routing;
      if (ev == E::launch_rejected) return S::watching;
      if (ev == E::watch_amended) return S::watching;
      if (ev == E::cancelled) return S::cancelled;
      if (ev == E::expired) return S::expired;
      return std::nullopt;
    case S::active:
      // A recurring order runs or skips its slices, then completes, unless
      // its owner cancels it first.
      if (ev == E::slice_started) return S::active;
      if (ev == E::slice_skipped) return S::active;
      if (ev == E::recurring_completed) return S::completed;
      if (ev == E::cancelled) return S::cancelled;
      return std::nullopt;
    case S::confirmed:
    case S::cancelled:
    case S::expired:
    case S::partially_filled:
    case S::completed:
      return std::nullopt;
    case S::failed:
      // Only an operator's retry reopens a failed order; a dismissal keeps
      // it failed.
      if (ev == E::order_retried) return S::pending;
      if (ev == E::dead_letter_dismissed) return S::failed;
      return std::nullopt;
  }
  return std::nullopt;
}

TEST(Transition, MatchesExpectedTableForEveryPair) {
  int legal = 0;
  for (Status from : kStatuses) {
    for (EventType ev : kEvents) {
      SCOPED_TRACE(std::string(status_name(from)) + " + " + std::string(event_name(ev)));
      const auto expected = expected_transition(from, ev);
      EXPECT_EQ(transition(from, ev), expected);
      if (expected) {
        ++legal;
        // Every event type leads to exactly one status, wherever it is legal.
        EXPECT_EQ(*expected, status_after(ev));
      }
    }
  }
  EXPECT_EQ(legal, 39);
}

TEST(Transition, OutOfRangeInputsAreIllegal) {
  EXPECT_EQ(transition(static_cast<Status>(kStatusCount), EventType::submitted), std::nullopt);
  EXPECT_EQ(transition(Status::none, static_cast<EventType>(0)), std::nullopt);
  EXPECT_EQ(transition(Status::pending, static_cast<EventType>(kMaxEventType + 1)), std::nullopt);
  // The API key events' numbers are no order's.
  EXPECT_EQ(transition(Status::pending, static_cast<EventType>(10)), std::nullopt);
  EXPECT_EQ(transition(Status::open, static_cast<EventType>(11)), std::nullopt);
  EXPECT_FALSE(is_order_event_type(10));
  EXPECT_FALSE(is_order_event_type(11));
  EXPECT_TRUE(is_order_event_type(static_cast<std::uint8_t>(EventType::expired)));
}

OrderSubmitted submitted_event() {
  return OrderSubmitted{OrderType::market, token_id("SOL"), token_id("USDC"), Amount{1'000'000'000}, 50, "key-1"};
}

OrderState fold_ok(const OrderState& s, const OrderEvent& e, std::int64_t at) {
  auto r = apply(s, e, TimestampNs{at});
  EXPECT_TRUE(r.has_value()) << "apply failed: " << (r.has_value() ? "" : describe(r.error()));
  return r.has_value() ? *r : s;
}

TEST(Apply, HappyPathFoldsEveryField) {
  OrderState s;
  s = fold_ok(s, submitted_event(), 100);
  EXPECT_EQ(s.status, Status::pending);
  EXPECT_EQ(s.input_token, token_id("SOL"));
  EXPECT_EQ(s.output_token, token_id("USDC"));
  EXPECT_EQ(s.amount_in.base, 1'000'000'000u);
  EXPECT_EQ(s.slippage_bps, 50u);
  EXPECT_EQ(s.idempotency_key, "key-1");
  EXPECT_EQ(s.created.value, 100);
  EXPECT_EQ(s.attempt, 0u);

  s = fold_ok(s, RoutingStarted{1}, 200);
  EXPECT_EQ(s.status, Status::routing);
  EXPECT_EQ(s.attempt, 1u);

  s = fold_ok(s,
              Routed{1,
                     token_id("SOL"),
                     token_id("USDC"),
                     Amount{1'000'000'000},
                     {},
                     Venue::meteora,
                     Amount{150'000'000},
                     Amount{149'250'000}},
              300);
  EXPECT_EQ(s.status, Status::building);
  EXPECT_EQ(s.venue, Venue::meteora);
  EXPECT_EQ(s.expected_out.base, 150'000'000u);
  EXPECT_EQ(s.min_out.base, 149'250'000u);

  s = fold_ok(s, TxSubmitted{1, Venue::meteora, "tx1", Amount{149'250'000}}, 400);
  EXPECT_EQ(s.status, Status::submitted);
  EXPECT_EQ(s.tx_id, "tx1");

  s = fold_ok(s,
              Confirmed{1, Venue::meteora, "tx1", Amount{149'900'000}, token_id("SOL"), token_id("USDC"),
                        Amount{1'000'000'000}},
              500);
  EXPECT_EQ(s.status, Status::confirmed);
  EXPECT_EQ(s.amount_out.base, 149'900'000u);
  EXPECT_TRUE(s.last_error.empty());
  EXPECT_EQ(s.created.value, 100);
  EXPECT_EQ(s.updated.value, 500);
  EXPECT_TRUE(is_terminal(s.status));
}

TEST(Apply, RetryPathStartsTheNextAttempt) {
  OrderState s;
  s = fold_ok(s, submitted_event(), 1);
  s = fold_ok(s, RoutingStarted{1}, 2);
  s = fold_ok(s, Routed{1, token_id("SOL"), token_id("USDC"), Amount{1}, {}, Venue::raydium, Amount{10}, Amount{9}}, 3);
  s = fold_ok(s, TxSubmitted{1, Venue::raydium, "tx-a1", Amount{9}}, 4);
  s = fold_ok(s, AttemptFailed{1, "dropped", TimestampNs{99}}, 5);
  EXPECT_EQ(s.status, Status::pending);
  EXPECT_EQ(s.attempt, 1u);
  EXPECT_EQ(s.last_error, "dropped");
  EXPECT_EQ(s.retry_at.value, 99);

  // The retry must be attempt 2: repeating attempt 1 is rejected.
  const auto repeat = apply(s, RoutingStarted{1}, TimestampNs{6});
  ASSERT_FALSE(repeat.has_value());
  EXPECT_EQ(repeat.error(), ApplyError::wrong_attempt);

  s = fold_ok(s, RoutingStarted{2}, 6);
  EXPECT_EQ(s.status, Status::routing);
  EXPECT_EQ(s.attempt, 2u);
  EXPECT_EQ(s.retry_at.value, 0);  // cleared by the new attempt

  // Events of the old attempt are rejected now.
  const auto stale =
      apply(s, Routed{1, token_id("SOL"), token_id("USDC"), Amount{1}, {}, Venue::raydium, Amount{10}, Amount{9}},
            TimestampNs{7});
  ASSERT_FALSE(stale.has_value());
  EXPECT_EQ(stale.error(), ApplyError::wrong_attempt);

  s = fold_ok(s, Routed{2, token_id("SOL"), token_id("USDC"), Amount{1}, {}, Venue::raydium, Amount{10}, Amount{9}}, 7);
  s = fold_ok(s, TxSubmitted{2, Venue::raydium, "tx-a2", Amount{9}}, 8);
  s = fold_ok(s, Confirmed{2, Venue::raydium, "tx-a2", Amount{10}, token_id("SOL"), token_id("USDC"), Amount{1}}, 9);
  EXPECT_EQ(s.status, Status::confirmed);
  EXPECT_EQ(s.tx_id, "tx-a2");
  EXPECT_TRUE(s.last_error.empty());  // a confirmation clears the old error
}

TEST(Apply, AttemptNumbering) {
  OrderState pending;
  pending = fold_ok(pending, submitted_event(), 1);

  for (std::uint32_t bad : {0u, 2u, 7u}) {
    const auto r = apply(pending, RoutingStarted{bad}, TimestampNs{2});
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error(), ApplyError::wrong_attempt);
  }
  // Failing a never-started order names attempt 0, the current one.
  EXPECT_TRUE(apply(pending, OrderFailed{0, "expired"}, TimestampNs{2}).has_value());
  const auto wrong_fail = apply(pending, OrderFailed{1, "expired"}, TimestampNs{2});
  ASSERT_FALSE(wrong_fail.has_value());
  EXPECT_EQ(wrong_fail.error(), ApplyError::wrong_attempt);

  const OrderState routing = fold_ok(pending, RoutingStarted{1}, 2);
  const OrderEvent wrong[] = {
      Routed{2, token_id("SOL"), token_id("USDC"), Amount{1}, {}, Venue::raydium, Amount{1}, Amount{1}},
      Routed{0, token_id("SOL"), token_id("USDC"), Amount{1}, {}, Venue::raydium, Amount{1}, Amount{1}},
      AttemptFailed{2, "x", TimestampNs{}},
      OrderFailed{0, "x"},
  };
  for (const auto& e : wrong) {
    const auto r = apply(routing, e, TimestampNs{3});
    ASSERT_FALSE(r.has_value()) << event_name(type_of(e));
    EXPECT_EQ(r.error(), ApplyError::wrong_attempt);
  }
  // Illegal transitions are reported as such even with a right attempt.
  const auto illegal = apply(routing, TxSubmitted{1, Venue::raydium, "t", Amount{1}}, TimestampNs{3});
  ASSERT_FALSE(illegal.has_value());
  EXPECT_EQ(illegal.error(), ApplyError::illegal_transition);
  const auto from_none = apply(OrderState{}, RoutingStarted{1}, TimestampNs{1});
  ASSERT_FALSE(from_none.has_value());
  EXPECT_EQ(from_none.error(), ApplyError::illegal_transition);
}

TEST(Apply, OperatorRetryReopensAFailedOrderWithAFreshBudget) {
  OrderState failed;
  failed.status = Status::failed;
  failed.attempt = 3;
  failed.last_error = "gave up";
  auto reopened = apply(failed, OrderRetried{3, "operator retry"}, TimestampNs{9});
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ(reopened->status, Status::pending);
  EXPECT_EQ(reopened->retry_floor, 3u);
  EXPECT_TRUE(reopened->last_error.empty());
  EXPECT_TRUE(apply(*reopened, RoutingStarted{4}, TimestampNs{10}).has_value()) << "attempts number on";
  EXPECT_EQ(apply(*reopened, OrderRetried{3, "again"}, TimestampNs{10}).error(), ApplyError::illegal_transition);
  OrderState confirmed;
  confirmed.status = Status::confirmed;
  confirmed.attempt = 1;
  EXPECT_EQ(apply(confirmed, OrderRetried{1, "x"}, TimestampNs{10}).error(), ApplyError::illegal_transition);
}

TEST(Apply, ADismissedDeadLetterStaysFailedAndTakesNoRetryOrSecondDismissal) {
  OrderState failed;
  failed.status = Status::failed;
  failed.attempt = 3;
  failed.last_error = "slippage exceeded";
  EXPECT_TRUE(is_dead_letter(failed));
  auto dismissed = apply(failed, DeadLetterDismissed{3, "dismissed by an operator"}, TimestampNs{9});
  ASSERT_TRUE(dismissed.has_value());
  EXPECT_EQ(dismissed->status, Status::failed);
  EXPECT_TRUE(dismissed->dismissed);
  EXPECT_FALSE(is_dead_letter(*dismissed));
  EXPECT_EQ(dismissed->last_error, "slippage exceeded") << "why it failed is kept";
  EXPECT_EQ(dismissed->updated.value, 9);
  EXPECT_EQ(apply(*dismissed, DeadLetterDismissed{3, "again"}, TimestampNs{10}).error(), ApplyError::dismissed);
  EXPECT_EQ(apply(*dismissed, OrderRetried{3, "retry"}, TimestampNs{10}).error(), ApplyError::dismissed);
  // A dismissal names the last attempt, like every event of a failed order.
  EXPECT_EQ(apply(failed, DeadLetterDismissed{2, "x"}, TimestampNs{10}).error(), ApplyError::wrong_attempt);
  // Only a failed order can be dismissed.
  OrderState confirmed;
  confirmed.status = Status::confirmed;
  confirmed.attempt = 1;
  EXPECT_EQ(apply(confirmed, DeadLetterDismissed{1, "x"}, TimestampNs{10}).error(), ApplyError::illegal_transition);
  EXPECT_FALSE(is_dead_letter(confirmed));
}

TEST(Apply, TerminalStatesRejectEverything) {
  OrderState confirmed;
  confirmed.status = Status::confirmed;
  confirmed.attempt = 1;
  OrderState failed;
  failed.status = Status::failed;
  failed.attempt = 1;
  const OrderEvent events[] = {
      submitted_event(),
      RoutingStarted{2},
      Routed{1, token_id("SOL"), token_id("USDC"), Amount{1}, {}, Venue::raydium, Amount{1}, Amount{1}},
      TxSubmitted{1, Venue::raydium, "t", Amount{1}},
      Confirmed{1, Venue::raydium, "t", Amount{1}, token_id("SOL"), token_id("USDC"), Amount{1}},
      AttemptFailed{1, "x", TimestampNs{}},
      OrderFailed{1, "x"},
  };
  for (const auto* s : {&confirmed, &failed}) {
    for (const auto& e : events) {
      const auto r = apply(*s, e, TimestampNs{1});
      ASSERT_FALSE(r.has_value()) << status_name(s->status) << " + " << event_name(type_of(e));
      EXPECT_EQ(r.error(), ApplyError::illegal_transition);
    }
  }
}

TEST(Apply, TypeOfMatchesEachAlternative) {
  EXPECT_EQ(type_of(submitted_event()), EventType::submitted);
  EXPECT_EQ(type_of(RoutingStarted{}), EventType::routing_started);
  EXPECT_EQ(type_of(Routed{}), EventType::routed);
  EXPECT_EQ(type_of(TxSubmitted{}), EventType::tx_submitted);
  EXPECT_EQ(type_of(Confirmed{}), EventType::confirmed);
  EXPECT_EQ(type_of(AttemptFailed{}), EventType::attempt_failed);
  EXPECT_EQ(type_of(OrderFailed{}), EventType::order_failed);
  EXPECT_EQ(type_of(OrderRetried{}), EventType::order_retried);
  EXPECT_EQ(type_of(DeadLetterDismissed{}), EventType::dead_letter_dismissed);
  EXPECT_EQ(type_of(Opened{}), EventType::opened);
  EXPECT_EQ(type_of(Triggered{}), EventType::triggered);
  EXPECT_EQ(type_of(Reopened{}), EventType::reopened);
  EXPECT_EQ(type_of(Cancelled{}), EventType::cancelled);
  EXPECT_EQ(type_of(Expired{}), EventType::expired);
  EXPECT_EQ(type_of(WatchStarted{}), EventType::watch_started);
  EXPECT_EQ(type_of(LaunchRejected{}), EventType::launch_rejected);
  EXPECT_EQ(type_of(Amended{}), EventType::amended);
  EXPECT_EQ(type_of(WatchAmended{}), EventType::watch_amended);
}

// The routing of a retry of a split order with a filled leg: its legs again.
Routed routed_again(const OrderState& s) {
  Routed r{s.attempt, s.input_token, s.output_token, s.amount_in, {}, *s.venue, s.expected_out, s.min_out};
  for (const auto& l : s.legs) r.legs.push_back(l.leg);
  return r;
}

OrderState limit_order() {
  OrderSubmitted e{OrderType::limit, token_id("SOL"), token_id("USDC"), Amount{1'000'000'000}, 0, ""};
  e.min_amount_out = Amount{160'000'000};
  e.expires_at = TimestampNs{5'000};
  auto s = apply(OrderState{}, e, TimestampNs{1});
  EXPECT_TRUE(s.has_value());
  return *s;
}

TEST(Apply, ALimitOrderWaitsFiresAndGoesBackToTheBookWhenItReprices) {
  const OrderState pending = limit_order();
  EXPECT_EQ(pending.min_amount_out.base, 160'000'000u);
  EXPECT_EQ(pending.expires_at.value, 5'000);
  auto open = apply(pending, Opened{0}, TimestampNs{2});
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->status, Status::open);
  EXPECT_TRUE(is_waiting(open->status));
  EXPECT_TRUE(is_cancellable(*open));
  // A trigger is the next attempt, as routing_started is.
  EXPECT_EQ(apply(*open, Triggered{2}, TimestampNs{3}).error(), ApplyError::wrong_attempt);
  auto fired = apply(*open, Triggered{1, token_id("SOL"), token_id("USDC"), Amount{1'000'000'000}, {},
                                      Venue::meteora, Amount{161'000'000}, Amount{160'000'000}, TimestampNs{3}},
                     TimestampNs{4});
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->status, Status::routing);
  EXPECT_EQ(fired->attempt, 1u);
  EXPECT_EQ(fired->triggered_at.value, 4);
  EXPECT_EQ(fired->min_out.base, 160'000'000u) << "it executes with its own floor";
  EXPECT_FALSE(is_cancellable(*fired));
  EXPECT_EQ(apply(*fired, Cancelled{1, "x"}, TimestampNs{5}).error(), ApplyError::illegal_transition);
  // Re-priced below the floor: back to the book, its attempt given back.
  auto reopened = apply(*fired, Reopened{1, "re-priced below the limit"}, TimestampNs{6});
  ASSERT_TRUE(reopened.has_value());
  EXPECT_EQ(reopened->status, Status::open);
  EXPECT_EQ(reopened->retry_floor, 1u);
  EXPECT_TRUE(is_cancellable(*reopened));
  auto cancelled = apply(*reopened, Cancelled{1, "cancelled by its owner"}, TimestampNs{7});
  ASSERT_TRUE(cancelled.has_value());
  EXPECT_EQ(cancelled->status, Status::cancelled);
  EXPECT_TRUE(is_terminal(cancelled->status));
  EXPECT_FALSE(is_dead_letter(*cancelled));
  EXPECT_EQ(apply(*cancelled, Cancelled{1, "again"}, TimestampNs{8}).error(), ApplyError::illegal_transition);
  EXPECT_EQ(apply(*reopened, Expired{1}, TimestampNs{9})->status, Status::expired);
}

TEST(Apply, AnAmendmentChangesAWaitingOrdersTermsOnlyWhileItWaits) {
  const OrderState pending = limit_order();
  // Not before it waits: a new limit order is amended once it is open.
  EXPECT_EQ(apply(pending, amend_event(pending, Amount{1}, TimestampNs{2}), TimestampNs{2}).error(),
            ApplyError::illegal_transition);
  const OrderState open = fold_ok(pending, Opened{0}, 2);
  const OrderEvent amend = amend_event(open, Amount{170'000'000}, TimestampNs{9'000});
  ASSERT_TRUE(std::holds_alternative<Amended>(amend));
  const OrderState amended = fold_ok(open, amend, 3);
  EXPECT_EQ(amended.status, Status::open);
  EXPECT_EQ(amended.min_amount_out.base, 170'000'000u);
  EXPECT_EQ(amended.expires_at.value, 9'000);
  EXPECT_EQ(amended.attempt, open.attempt);
  // Once triggered, an amendment is refused; as are a wrong attempt and a sniper's type.
  const OrderState fired = fold_ok(amended, Triggered{1, token_id("SOL"), token_id("USDC"), Amount{1'000'000'000},
                                                      {}, Venue::meteora, Amount{171'000'000}, Amount{170'000'000},
                                                      TimestampNs{3}},
                                   4);
  EXPECT_EQ(apply(fired, amend_event(fired, Amount{1}, TimestampNs{1}), TimestampNs{5}).error(),
            ApplyError::illegal_transition);
  Amended wrong = std::get<Amended>(amend);
  wrong.attempt = 1;
  EXPECT_EQ(apply(open, wrong, TimestampNs{3}).error(), ApplyError::wrong_attempt);
  EXPECT_EQ(apply(open, WatchAmended{std::get<Amended>(amend)}, TimestampNs{3}).error(),
            ApplyError::illegal_transition);
  // A watching sniper's amendment is its own type and leaves it watching.
  OrderState watching = open;
  watching.status = Status::watching;
  const OrderEvent sniper_amend = amend_event(watching, Amount{5}, TimestampNs{6});
  ASSERT_TRUE(std::holds_alternative<WatchAmended>(sniper_amend));
  EXPECT_EQ(fold_ok(watching, sniper_amend, 4).status, Status::watching);
}

TEST(Apply, ASplitOrdersFilledLegStandsThroughItsRetriesAndItEndsPartiallyFilled) {
  OrderState s = fold_ok(OrderState{}, submitted_event(), 1);
  s = fold_ok(s, RoutingStarted{1}, 2);
  Routed routed{1, token_id("SOL"), token_id("USDC"), Amount{1'000'000'000}, {}, Venue::meteora, Amount{300}, Amount{290}};
  routed.legs = {Leg{Venue::raydium, Amount{400'000'000}, Amount{120}, Amount{116}},
                 Leg{Venue::meteora, Amount{600'000'000}, Amount{180}, Amount{174}}};
  s = fold_ok(s, routed, 3);
  TxSubmitted tx{1, Venue::meteora, "tx-1-1", Amount{290}};
  tx.leg_tx_ids = {"tx-1-0", "tx-1-1"};
  s = fold_ok(s, tx, 4);
  EXPECT_EQ(unsettled_leg(s), 0u);
  s = fold_ok(s, LegSettled{1, 0, true, LegFill{Venue::raydium, Amount{400'000'000}, Amount{121}, "tx-1-0"},
                            token_id("SOL"), token_id("USDC")}, 5);
  // A leg settles once.
  EXPECT_EQ(apply(s, LegSettled{1, 0, false}, TimestampNs{6}).error(), ApplyError::illegal_transition);
  s = fold_ok(s, LegSettled{1, 1, false, LegFill{Venue::meteora, Amount{600'000'000}, {}, "tx-1-1"}, token_id("SOL"),
                            token_id("USDC"), "transaction dropped"}, 6);
  EXPECT_FALSE(unsettled_leg(s));
  s = fold_ok(s, AttemptFailed{1, "leg on meteora failed", TimestampNs{7}}, 7);
  // Waiting to retry with a leg filled: it has executed, so it is no longer cancellable.
  s.retry_floor = s.attempt;
  EXPECT_FALSE(is_cancellable(s));
  s = fold_ok(s, RoutingStarted{2}, 8);
  s = fold_ok(s, routed_again(s), 9);
  EXPECT_TRUE(s.legs[0].landed) << "a filled leg stands";
  EXPECT_EQ(s.legs[0].tx_id, "tx-1-0");
  EXPECT_FALSE(s.legs[1].settled) << "the other goes out again";
  EXPECT_EQ(unsettled_leg(s), 1u);
  EXPECT_EQ(filled_in(s).base, 400'000'000u);
}

TEST(Apply, ASniperWatchesTurnsDownALaunchAndFires) {
  OrderSubmitted e{OrderType::sniper, token_id("SOL"), *TokenId::name("NEWCOIN"), Amount{1'000'000'000}, 0, ""};
  e.min_amount_out = Amount{500'000'000};
  e.expires_at = TimestampNs{5'000};
  e.checks = SniperChecks{false, true, Amount{7}};
  auto pending = apply(OrderState{}, e, TimestampNs{1});
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->checks, e.checks);
  EXPECT_EQ(pending->output_token.symbol(), "NEWCOIN");
  EXPECT_FALSE(pending->output_token.listed());
  auto watching = apply(*pending, WatchStarted{0}, TimestampNs{2});
  ASSERT_TRUE(watching.has_value());
  EXPECT_EQ(watching->status, Status::watching);
  EXPECT_TRUE(is_waiting(watching->status));
  EXPECT_TRUE(is_cancellable(*watching));
  auto turned_down = apply(*watching, LaunchRejected{0, Venue::raydium, 3, "freeze authority present"}, TimestampNs{3});
  ASSERT_TRUE(turned_down.has_value());
  EXPECT_EQ(turned_down->status, Status::watching);
  EXPECT_EQ(turned_down->last_error, "freeze authority present");
  EXPECT_EQ(turned_down->launches_judged, 3u);  // a restart does not judge it again
  EXPECT_EQ(apply(*turned_down, LaunchRejected{1, Venue::raydium, 4, "x"}, TimestampNs{4}).error(),
            ApplyError::wrong_attempt);
  auto fired = apply(*turned_down, Triggered{1, token_id("SOL"), e.output_token, e.amount_in, {}, Venue::meteora,
                                             Amount{600'000'000}, e.min_amount_out, TimestampNs{4}},
                     TimestampNs{5});
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->status, Status::routing);
  EXPECT_EQ(fired->venue, Venue::meteora);
  EXPECT_EQ(apply(*fired, LaunchRejected{1, Venue::raydium, 5, "x"}, TimestampNs{6}).error(),
            ApplyError::illegal_transition);
  EXPECT_EQ(apply(*turned_down, Expired{0}, TimestampNs{6})->status, Status::expired);
}

TEST(Apply, APendingOrderIsCancellableOnlyBeforeItsExecutionBegins) {
  OrderState pending = limit_order();
  EXPECT_TRUE(is_cancellable(pending));
  EXPECT_EQ(apply(pending, Cancelled{0, "x"}, TimestampNs{2})->status, Status::cancelled);
  EXPECT_EQ(apply(pending, Expired{0}, TimestampNs{2})->status, Status::expired);
  // Backing off between attempts: its execution has begun.
  OrderState retrying = pending;
  retrying.attempt = 1;
  EXPECT_FALSE(is_cancellable(retrying));
  EXPECT_EQ(apply(retrying, Cancelled{1, "x"}, TimestampNs{2}).error(), ApplyError::execution_started);
  EXPECT_EQ(apply(retrying, Expired{1}, TimestampNs{2}).error(), ApplyError::execution_started);
}

TEST(Status, IsTerminal) {
  for (Status s : kStatuses) {
    EXPECT_EQ(is_terminal(s), s == Status::confirmed || s == Status::failed || s == Status::cancelled ||
                                  s == Status::expired || s == Status::partially_filled || s == Status::completed)
        << status_name(s);
  }
}

TEST(Status, NameRoundTrip) {
  const char* names[] = {"none",      "pending", "routing", "building",  "submitted",
                         "confirmed", "failed",  "open",    "cancelled", "expired", "watching", "partially_filled",
                         "active",    "completed"};
  for (std::size_t i = 0; i < kStatuses.size(); ++i) EXPECT_EQ(status_name(kStatuses[i]), names[i]);
  for (Status s : kStatuses) {
    if (s == Status::none) continue;  // not a status a client can ask for
    EXPECT_EQ(parse_status(status_name(s)), s) << status_name(s);
  }
  EXPECT_EQ(parse_status("bogus"), std::nullopt);
  EXPECT_EQ(parse_status(""), std::nullopt);
  EXPECT_EQ(parse_status("Pending"), std::nullopt);
}

// The projection stores names and reads them back into the state the
// renderer shows: every name must come back as what it was written from.
TEST(Names, OrderTypesAndVenuesRoundTrip) {
  for (OrderType t : {OrderType::market, OrderType::limit, OrderType::sniper, OrderType::recurring}) {
    EXPECT_EQ(parse_order_type(order_type_name(t)), t) << order_type_name(t);
  }
  for (Venue v : kAllVenues) EXPECT_EQ(parse_venue(venue_name(v)), v) << venue_name(v);
  EXPECT_EQ(parse_order_type("Market"), std::nullopt);
  EXPECT_EQ(parse_venue("orca"), std::nullopt);
  EXPECT_EQ(parse_venue(""), std::nullopt);
}

TEST(DeadLetters, AreGroupedByTheFirstClauseOfTheirError) {
  EXPECT_EQ(dead_letter_reason("slippage exceeded: got 9.1, wanted 9.5"), "slippage exceeded");
  EXPECT_EQ(dead_letter_reason("transaction dropped (attempt 3 of 3)"), "transaction dropped");
  EXPECT_EQ(dead_letter_reason("  no route  "), "no route");
  EXPECT_EQ(dead_letter_reason(""), "");
}

}  // namespace
}  // namespace oee::core
