#include "core/engine/decision_audit.h"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

#include "core/domain/router.h"
#include "core/domain/sniper_watch.h"
#include "core/engine/sim_chain.h"

namespace oee::core {

namespace {

// How far a measured backoff may stray from twice the one before: each is
// measured from its event's time, stamped a moment after the decision.
constexpr std::int64_t kBackoffSlackNs = 10'000'000;
// A retry's first step may be stamped this much before its retry time: the
// timer runs on the steady clock, the stamp on the wall clock.
constexpr std::int64_t kRetryEarlySlackNs = 2'000'000;

std::string quote_text(const Quote& q) {
  return fmt::format("{} {}", venue_name(q.venue), q.amount_out.base);
}

Pool pool_of(const Quote& q) { return Pool{q.reserve_in, q.reserve_out, q.fee_bps}; }

}  // namespace

std::optional<Pools> recorded_pools(const std::vector<Quote>& quotes) {
  Pools pools;
  if (quotes.size() != pools.size()) return std::nullopt;
  for (std::size_t v = 0; v < pools.size(); ++v) {
    const Quote& q = quotes[v];
    if (q.venue != kAllVenues[v]) return std::nullopt;
    if (q.reserve_in.base == 0 && q.reserve_out.base == 0 && q.amount_out.base != 0) return std::nullopt;
    pools[v] = pool_of(q);
  }
  return pools;
}

std::string_view decision_kind_name(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::routing: return "routing";
    case DecisionKind::min_out: return "min out";
    case DecisionKind::transaction: return "transaction";
    case DecisionKind::fill: return "fill";
    case DecisionKind::refusal: return "slippage refusal";
    case DecisionKind::launch: return "sniper launch";
    case DecisionKind::expiry: return "expiry";
    case DecisionKind::retry: return "retry";
    case DecisionKind::one_fill: return "one fill";
  }
  return "?";
}

std::uint64_t DecisionAudit::violation_count() const {
  std::uint64_t n = 0;
  for (const auto& c : counts_) n += c.violations;
  return n;
}

void DecisionAudit::check(DecisionKind kind, bool holds, const OrderId& order, Seq seq, std::string recorded,
                          std::string recomputed) {
  auto& count = counts_[static_cast<std::size_t>(kind)];
  ++count.checked;
  if (holds) return;
  ++count.violations;
  if (violations_.size() < kKeptViolations) {
    violations_.push_back(DecisionViolation{order, seq, kind, std::move(recorded), std::move(recomputed)});
  }
}

void DecisionAudit::observe(const OrderId& order, Seq seq, TimestampNs ts, const OrderEvent& event,
                            const OrderState& before) {
  if (const auto* e = std::get_if<Routed>(&event)) {
    routed(order, seq, *e, before);
  } else if (const auto* e = std::get_if<TxSubmitted>(&event)) {
    sent(order, seq, *e, before);
  } else if (const auto* e = std::get_if<Confirmed>(&event)) {
    confirmed(order, seq, *e, before);
  } else if (const auto* e = std::get_if<AttemptFailed>(&event)) {
    failed(order, seq, ts, *e, before);
  } else if (const auto* e = std::get_if<Triggered>(&event)) {
    triggered(order, seq, *e, before);
  } else if (const auto* e = std::get_if<LaunchRejected>(&event)) {
    launch_rejected(order, seq, *e, before);
  } else if (const auto* e = std::get_if<LegSettled>(&event)) {
    leg_settled(order, seq, *e, before);
  } else if (std::holds_alternative<Expired>(event)) {
    check(DecisionKind::expiry, before.expires_at.value != 0 && ts >= before.expires_at, order, seq,
          fmt::format("expired at {}", ts.value), fmt::format("its deadline {}", before.expires_at.value));
  } else if (const auto* e = std::get_if<RoutedAndSent>(&event)) {
    routed_and_sent(order, seq, ts, *e, before);
  } else if (std::holds_alternative<RoutingStarted>(event)) {
    attempt_started(order, seq, ts, before);
  } else if (std::holds_alternative<OrderRetried>(event)) {
    memos_[order].last_delay_ns = 0;  // a fresh budget of attempts
  }
}

void DecisionAudit::attempt_started(const OrderId& order, Seq seq, TimestampNs ts, const OrderState& before) {
  if (before.status != Status::pending || before.retry_at.value == 0) return;
  check(DecisionKind::retry, __int128{ts.value} + kRetryEarlySlackNs >= before.retry_at.value, order, seq,
        fmt::format("retried at {}", ts.value), fmt::format("not before its retry time {}", before.retry_at.value));
}

// As the events it stands for, each decided on the state the one before
// it left: the same checks as for a log written before it.
void DecisionAudit::routed_and_sent(const OrderId& order, Seq seq, TimestampNs ts, const RoutedAndSent& e,
                                    const OrderState& before) {
  OrderState routing = before;
  if (e.starts_attempt) {
    attempt_started(order, seq, ts, before);
    auto started = apply(before, RoutingStarted{e.routed.attempt}, ts);
    if (!started) return;  // the fold refuses the record, and says so
    routing = std::move(*started);
  }
  routed(order, seq, e.routed, routing);
  const auto building = apply(routing, e.routed, ts);
  if (!building) return;
  sent(order, seq, e.sent, *building);
}

void DecisionAudit::routed(const OrderId& order, Seq seq, const Routed& e, const OrderState& before) {
  if (any_leg_landed(before)) {
    // A filled leg stands: the others go out again as they were.
    const std::vector<Leg> were = routed_legs(before);
    check(DecisionKind::routing, e.legs == were && e.venue == before.venue && e.min_out == before.min_out, order, seq,
          fmt::format("{} legs again", e.legs.size()), fmt::format("the {} legs routed before", were.size()));
    return;
  }
  const bool own_floor = before.order_type != OrderType::market;
  const auto pools = recorded_pools(e.quotes);
  std::vector<Leg> split;  // the legs the recorded facts give, if a split pays
  if (!pools) {
    not_checkable(DecisionKind::routing);
  } else {
    const RouteDecision redo = route_on(*pools, e.amount_in);
    std::string mismatch;
    for (std::size_t v = 0; v < redo.quotes.size(); ++v) {
      if (redo.quotes[v].amount_out != e.quotes[v].amount_out) {
        mismatch = fmt::format("{} quote {} from its pool, recorded {}", venue_name(kAllVenues[v]),
                               redo.quotes[v].amount_out.base, e.quotes[v].amount_out.base);
      }
    }
    if (e.second_tx_fee && e.split_min_gain_bps) {
      if (const auto plan = split_worth_it(redo, e.amount_in, *e.second_tx_fee, *e.split_min_gain_bps)) {
        split = legs_of(*plan, own_floor ? std::optional<Amount>(before.min_amount_out) : std::nullopt,
                        before.slippage_bps);
      }
    } else if (!e.legs.empty()) {
      mismatch = "a split without the fee and gain it was weighed on";
    }
    const Amount split_out = legs_expected_out(split);
    const bool best = split.empty() ? redo.best.venue == e.venue && redo.best.amount_out == e.expected_out &&
                                          e.legs.empty()
                                    : e.legs == split && e.venue == larger_leg_venue(split) &&
                                          e.expected_out == split_out;
    check(DecisionKind::routing, mismatch.empty() && best && e.amount_in == before.amount_in, order, seq,
          fmt::format("{} expecting {} in {} leg(s)", venue_name(e.venue), e.expected_out.base,
                      std::max<std::size_t>(e.legs.size(), 1)),
          !mismatch.empty() ? mismatch
          : split.empty()   ? fmt::format("{} (the best net output; ties: the lower fee, then raydium; no split "
                                          "gains enough)",
                                          quote_text(redo.best))
                            : fmt::format("a split: {} on {} and {} on {}, expecting {}", split[0].amount_in.base,
                                          venue_name(split[0].venue), split[1].amount_in.base,
                                          venue_name(split[1].venue), split_out.base));
  }
  if (e.legs.size() == std::size(kAllVenues)) {
    // Each leg's floor from its expected output; together they are the order's.
    SplitPlan recorded{};
    for (std::size_t i = 0; i < e.legs.size(); ++i) {
      recorded.legs[i].venue = e.legs[i].venue;
      recorded.legs[i].amount_in = e.legs[i].amount_in;
      recorded.legs[i].amount_out = e.legs[i].expected_out;
      recorded.total_out.base += e.legs[i].expected_out.base;
    }
    const auto floors = legs_of(recorded, own_floor ? std::optional<Amount>(before.min_amount_out) : std::nullopt,
                                before.slippage_bps);
    const Amount total = legs_min_out(floors);
    check(DecisionKind::min_out, floors == e.legs && e.min_out == total, order, seq,
          fmt::format("min out {}: {} and {}", e.min_out.base, e.legs[0].min_out.base, e.legs[1].min_out.base),
          fmt::format("{}: {} and {}", total.base, floors[0].min_out.base, floors[1].min_out.base));
  } else if (before.order_type == OrderType::market) {
    const Amount floor = min_out_for(e.expected_out, before.slippage_bps);
    check(DecisionKind::min_out, e.min_out == floor, order, seq, fmt::format("min out {}", e.min_out.base),
          fmt::format("{} = {} x (1 - {} bps), rounded down", floor.base, e.expected_out.base, before.slippage_bps));
  } else {
    check(DecisionKind::min_out, e.min_out == before.min_amount_out && e.expected_out >= before.min_amount_out, order,
          seq, fmt::format("min out {}, expecting {}", e.min_out.base, e.expected_out.base),
          fmt::format("the order's own floor {}, reached", before.min_amount_out.base));
  }
}

void DecisionAudit::sent(const OrderId& order, Seq seq, const TxSubmitted& e, const OrderState& before) {
  if (before.legs.empty()) {
    const std::string signature = SimChain::tx_id(order, e.attempt);
    check(DecisionKind::transaction,
          before.venue == e.venue && e.min_out == before.min_out && e.tx_id == signature && e.leg_tx_ids.empty(),
          order, seq, fmt::format("{} on {}, min out {}", e.tx_id, venue_name(e.venue), e.min_out.base),
          fmt::format("{} on {}, min out {}", signature, venue_name(before.venue.value_or(e.venue)),
                      before.min_out.base));
    return;
  }
  // Each leg not filled before under its own signature of (order, attempt, leg).
  std::string wrong;
  if (e.leg_tx_ids.size() != before.legs.size()) wrong = fmt::format("{} legs", before.legs.size());
  for (std::uint32_t i = 0; wrong.empty() && i < before.legs.size(); ++i) {
    const std::string signature = before.legs[i].landed ? std::string() : SimChain::tx_id(order, e.attempt, i);
    if (e.leg_tx_ids[i] != signature) wrong = fmt::format("leg {}: {}", i, signature.empty() ? "filled before" : signature);
  }
  check(DecisionKind::transaction, wrong.empty() && before.venue == e.venue && e.min_out == before.min_out, order, seq,
        fmt::format("{} leg transactions on {}, min out {}", e.leg_tx_ids.size(), venue_name(e.venue), e.min_out.base),
        wrong.empty() ? fmt::format("min out {}", before.min_out.base) : wrong);
}

void DecisionAudit::leg_settled(const OrderId& order, Seq seq, const LegSettled& e, const OrderState& before) {
  if (e.leg >= before.legs.size()) return;  // no such leg: the fold refuses the event
  const Leg& leg = before.legs[e.leg].leg;
  if (e.landed) {
    if (e.executed_on) {
      const Quote redo = quote_pool(leg.venue, pool_of(*e.executed_on), leg.amount_in);
      check(DecisionKind::fill, redo.amount_out == e.fill.amount_out && e.fill.amount_out >= leg.min_out, order, seq,
            fmt::format("leg {} received {} (min out {})", e.leg, e.fill.amount_out.base, leg.min_out.base),
            fmt::format("{} from the pool it executed on, at least the leg's min out", redo.amount_out.base));
    } else {
      check(DecisionKind::fill, e.fill.amount_out >= leg.min_out, order, seq,
            fmt::format("leg {} received {}", e.leg, e.fill.amount_out.base),
            fmt::format("at least the leg's min out {}", leg.min_out.base));
    }
    // One confirmed transaction per leg, and none for two.
    const bool first_anywhere = confirmed_txs_.insert(e.fill.tx_id).second;
    check(DecisionKind::one_fill, first_anywhere && e.fill.tx_id == before.legs[e.leg].tx_id, order, seq,
          fmt::format("leg {} confirmed {}", e.leg, e.fill.tx_id),
          !first_anywhere ? std::string("that transaction confirmed before")
                          : fmt::format("one confirmation, of the leg's transaction: {}", before.legs[e.leg].tx_id));
  } else if (e.executed_on && e.reason.starts_with("slippage exceeded")) {
    const Quote redo = quote_pool(leg.venue, pool_of(*e.executed_on), leg.amount_in);
    check(DecisionKind::refusal, redo.amount_out < leg.min_out, order, seq,
          fmt::format("leg {} refused: would receive {}", e.leg, redo.amount_out.base),
          fmt::format("below the leg's min out {}", leg.min_out.base));
  }
}

void DecisionAudit::confirmed(const OrderId& order, Seq seq, const Confirmed& e, const OrderState& before) {
  if (!before.legs.empty()) {
    // Its legs each filled (their fills checked as they settled); the order
    // received what they did together.
    Amount filled{};
    bool all = true;
    for (const LegState& l : before.legs) {
      filled.base += l.amount_out.base;
      all = all && l.landed;
    }
    check(DecisionKind::fill, all && e.amount_out == filled && e.legs == leg_fills(before), order, seq,
          fmt::format("received {} over {} legs", e.amount_out.base, e.legs.size()),
          fmt::format("its legs' {} together, every leg filled", filled.base));
    check(DecisionKind::one_fill, memos_[order].confirmed++ == 0, order, seq, "confirmed", "one confirmation");
    return;
  }
  if (e.executed_on) {
    const Quote redo = quote_pool(e.venue, pool_of(*e.executed_on), e.amount_in);
    check(DecisionKind::fill,
          e.executed_on->venue == e.venue && redo.amount_out == e.amount_out && e.amount_out >= before.min_out, order,
          seq, fmt::format("received {} (min out {})", e.amount_out.base, before.min_out.base),
          fmt::format("{} from the pool it executed on, at least the min out", redo.amount_out.base));
  } else if (e.amount_out < before.min_out) {
    check(DecisionKind::fill, false, order, seq, fmt::format("received {}", e.amount_out.base),
          fmt::format("at least the min out {}", before.min_out.base));
  } else {
    not_checkable(DecisionKind::fill);
  }
  Memo& memo = memos_[order];
  const bool first_here = memo.confirmed++ == 0;
  const bool first_anywhere = confirmed_txs_.insert(e.tx_id).second;
  check(DecisionKind::one_fill, first_here && first_anywhere && e.tx_id == before.tx_id, order, seq,
        fmt::format("confirmed {}", e.tx_id),
        !first_anywhere ? std::string("that transaction confirmed another order already")
                        : fmt::format("one confirmation, of the transaction sent: {}", before.tx_id));
}

void DecisionAudit::failed(const OrderId& order, Seq seq, TimestampNs ts, const AttemptFailed& e,
                           const OrderState& before) {
  if (e.executed_on) {
    const Quote redo = quote_pool(e.executed_on->venue, pool_of(*e.executed_on), before.amount_in);
    check(DecisionKind::refusal, redo.amount_out == e.executed_on->amount_out && redo.amount_out < before.min_out,
          order, seq, fmt::format("refused: would receive {}", e.executed_on->amount_out.base),
          fmt::format("{} from the pool, below the min out {}", redo.amount_out.base, before.min_out.base));
  } else if (e.reason.starts_with("slippage exceeded")) {
    not_checkable(DecisionKind::refusal);
  }
  Memo& memo = memos_[order];
  // In 128 bits: a crafted log's times may be anything.
  using i128 = __int128;
  const i128 delay = i128{e.retry_at.value} - ts.value;
  const std::uint32_t used = e.attempt >= before.retry_floor ? e.attempt - before.retry_floor : 0;
  if (used <= 1 || memo.last_delay_ns <= 0) {
    check(DecisionKind::retry, delay > 0, order, seq,
          fmt::format("retry in {} ms", static_cast<long double>(delay) / 1e6), "a retry time ahead");
  } else {
    const i128 expected = i128{2} * memo.last_delay_ns;
    const i128 slack = kBackoffSlackNs + expected / 100;
    const i128 off = delay > expected ? delay - expected : expected - delay;
    check(DecisionKind::retry, off <= slack, order, seq,
          fmt::format("retry in {} ms", static_cast<long double>(delay) / 1e6),
          fmt::format("{} ms: twice the backoff before", static_cast<long double>(expected) / 1e6));
  }
  memo.last_delay_ns = delay > 0 && delay < INT64_MAX ? static_cast<std::int64_t>(delay) : 0;
}

void DecisionAudit::triggered(const OrderId& order, Seq seq, const Triggered& e, const OrderState& before) {
  if (before.expires_at.value != 0) {
    check(DecisionKind::expiry, e.observed_at < before.expires_at, order, seq,
          fmt::format("fired on prices of {}", e.observed_at.value),
          fmt::format("before its deadline {}", before.expires_at.value));
  }
  if (before.order_type != OrderType::sniper) return;
  if (e.launches.empty()) {
    not_checkable(DecisionKind::launch);
    return;
  }
  std::string wrong;
  for (const auto& l : e.launches) {
    if (auto fault = sniper_fault(before.checks, before.amount_in, before.min_amount_out, l,
                                  before.input_token.decimals(), before.output_token.decimals())) {
      wrong = fmt::format("launch {} on {}: {}", l.launch, venue_name(l.venue), *fault);
    }
    const auto v = static_cast<std::size_t>(l.venue);
    const Pool pool = launch_pool(l.venue, l.token_reserve, l.quote_reserve);
    if (v >= e.quotes.size() || e.quotes[v].reserve_in != pool.reserve_in || e.quotes[v].reserve_out != pool.reserve_out) {
      wrong = fmt::format("launch {} on {}: its pool is not the one quoted", l.launch, venue_name(l.venue));
    }
  }
  const bool bought_a_judged_launch = std::any_of(e.launches.begin(), e.launches.end(),
                                                  [&](const LaunchSeen& l) { return l.venue == e.venue; });
  if (wrong.empty() && !bought_a_judged_launch) wrong = "it bought on a venue whose launch it did not judge";
  check(DecisionKind::launch, wrong.empty(), order, seq, fmt::format("bought on {}", venue_name(e.venue)),
        wrong.empty() ? std::string("launches that pass its checks and bound") : wrong);
}

void DecisionAudit::launch_rejected(const OrderId& order, Seq seq, const LaunchRejected& e, const OrderState& before) {
  if (!e.seen) {
    not_checkable(DecisionKind::launch);
    return;
  }
  const auto fault = sniper_fault(before.checks, before.amount_in, before.min_amount_out, *e.seen,
                                  before.input_token.decimals(), before.output_token.decimals());
  check(DecisionKind::launch, fault && *fault == e.reason && e.seen->launch == e.launch && e.seen->venue == e.venue,
        order, seq, fmt::format("turned down launch {}: {}", e.launch, e.reason),
        fault ? *fault : std::string("the launch passes its checks and bound"));
}

}  // namespace oee::core
