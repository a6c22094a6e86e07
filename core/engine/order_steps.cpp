#include "core/engine/order_steps.h"

#include <spdlog/spdlog.h>

#include "core/domain/sim_clock.h"

namespace oee::core {

OrderSteps::OrderSteps(const Market& market, SimChain& chain, const ExecutorOptions& options)
    : router_(market), chain_(chain), options_(options), rng_(options.seed ? *options.seed : std::random_device{}()) {}

std::chrono::microseconds OrderSteps::jitter(int lo_ms, int hi_ms) {
  const double ms = std::uniform_int_distribution<int>(lo_ms, hi_ms)(rng_) * options_.latency_scale;
  return std::chrono::microseconds(static_cast<std::int64_t>(ms * 1000));
}

OrderEvent OrderSteps::fail_attempt(const OrderState& s, std::string reason, std::optional<Quote> executed_on) const {
  const std::uint32_t used = s.attempt - s.retry_floor;  // attempts since submission or an operator retry
  if (used >= options_.max_attempts) {
    return OrderFailed{s.attempt, reason + " (gave up after " + std::to_string(used) + " attempts)"};
  }
  const auto delay = options_.retry_base * (1LL << (used - 1));
  const auto retry_at =
      TimestampNs{sim_now().value + std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count()};
  return AttemptFailed{s.attempt, std::move(reason), retry_at, std::move(executed_on)};
}

OrderEvent OrderSteps::route(const OrderId& id, const OrderState& s) {
  if (!s.input_token || !s.output_token) return OrderFailed{s.attempt, "unknown token"};
  const Token& in = s.input_token.token();
  const Token& out = s.output_token.token();
  const auto at = sim_time_point();
  if (any_leg_landed(s)) {
    // A filled leg stands: the others go out again as they were, each
    // with its own floor (the chain refuses one re-priced below it); no
    // new route is needed, and none can fail the order now.
    Routed again{s.attempt, s.input_token, s.output_token, s.amount_in, {}, s.venue.value_or(Venue::raydium),
                 s.expected_out, s.min_out};
    if (auto route = router_.route(in, out, s.amount_in, at)) again.quotes = std::move(route->quotes);
    again.legs = routed_legs(s);
    return again;
  }
  auto route = s.order_type == OrderType::sniper && s.venue ? router_.route_on_venue(*s.venue, in, out, s.amount_in, at)
                                                            : router_.route(in, out, s.amount_in, at);
  if (!route) {
    return OrderFailed{s.attempt, route.error() == RouteError::no_pool ? "no pool for this pair"
                                                                      : "amount too small to trade"};
  }
  const Quote& best = route->best;
  // A limit order or a sniper executes with its own floor; any price above
  // it is the client's. Re-priced below it, a limit order goes back to the
  // book; a sniper buys on the launch that fired it, or tries again later.
  const bool limit = s.order_type == OrderType::limit;
  const bool own_floor = limit || s.order_type == OrderType::sniper;
  if (own_floor && best.amount_out < s.min_amount_out) {
    const std::string short_of = format_amount(best.amount_out, s.output_token.decimals()) + " < " +
                                 format_amount(s.min_amount_out, s.output_token.decimals());
    if (limit) return Reopened{s.attempt, "re-priced below the limit: " + short_of};
    return fail_attempt(s, "re-priced above the bound: " + short_of);
  }
  const Amount min_out = own_floor ? s.min_amount_out : min_out_for(best.amount_out, s.slippage_bps);
  Routed routed{s.attempt, s.input_token, s.output_token, s.amount_in, route->quotes, best.venue, best.amount_out,
                min_out};
  // A sniper buys on the launch's venue; the others may split.
  const auto fee = s.order_type == OrderType::sniper ? std::nullopt : router_.second_tx_fee(in, out, *route, at);
  if (fee) {
    routed.second_tx_fee = *fee;
    routed.split_min_gain_bps = options_.split_min_gain_bps;
    if (const auto plan = split_worth_it(*route, s.amount_in, *fee, options_.split_min_gain_bps)) {
      routed.legs = legs_of(*plan, own_floor ? std::optional<Amount>(min_out) : std::nullopt, s.slippage_bps);
      routed.expected_out = plan->total_out;
      routed.min_out = legs_min_out(routed.legs);
      routed.venue = larger_leg_venue(routed.legs);
    }
  }
  spdlog::info(
      "route order={} attempt={} pair={}/{} amount_in={} raydium_out={} meteora_out={} chosen={} legs={} "
      "expected_out={} min_out={} price_impact_bps={}",
      id.str(), s.attempt, s.input_token.symbol(), s.output_token.symbol(), s.amount_in.base,
      route->quotes[0].amount_out.base, route->quotes[1].amount_out.base, venue_name(routed.venue),
      std::max<std::size_t>(routed.legs.size(), 1), routed.expected_out.base, routed.min_out.base,
      best.price_impact_bps);
  return routed;
}

TxSubmitted OrderSteps::transaction(const OrderId& id, const OrderState& s) const {
  const TimestampNs last_valid_at{sim_now().value +
                                  std::chrono::duration_cast<std::chrono::nanoseconds>(options_.tx_validity).count()};
  if (s.legs.empty()) {
    return TxSubmitted{s.attempt, s.venue.value_or(Venue::raydium), SimChain::tx_id(id, s.attempt), s.min_out, {},
                       last_valid_at};
  }
  // The order's signature is its larger leg's.
  TxSubmitted tx{s.attempt, s.venue.value_or(Venue::raydium), {}, s.min_out, {}, last_valid_at};
  for (std::uint32_t i = 0; i < s.legs.size(); ++i) {
    const LegState& leg = s.legs[i];
    tx.leg_tx_ids.push_back(leg.landed ? std::string() : SimChain::tx_id(id, s.attempt, i));
    const std::string& sent = leg.landed ? leg.tx_id : tx.leg_tx_ids.back();
    if (leg.leg.venue == tx.venue && tx.tx_id.empty()) tx.tx_id = sent;
  }
  return tx;
}

// The route and the transaction sent on it are one record, durable before
// the send: a restart finds the signature and asks the chain about it.
OrderEvent OrderSteps::route_and_send(const OrderId& id, const OrderState& s, bool starts_attempt) {
  auto decided = route(id, s);
  auto* routed = std::get_if<Routed>(&decided);
  if (routed == nullptr) return decided;
  const auto building = apply(s, *routed, sim_now());
  if (!building) return decided;  // the fold refuses it, and says why
  TxSubmitted sent = transaction(id, *building);
  return RoutedAndSent{starts_attempt, std::move(*routed), std::move(sent)};
}

OrderEvent OrderSteps::start_attempt(const OrderId& id, const OrderState& s) {
  const RoutingStarted start{s.attempt + 1};
  const auto routing = apply(s, start, sim_now());
  if (!routing) return start;
  auto event = route_and_send(id, *routing, true);
  // An attempt that ends in its routing (no pool, re-priced) starts as
  // before, and its routing step decides again how it ends.
  if (!std::holds_alternative<RoutedAndSent>(event)) return start;
  return event;
}

std::chrono::steady_clock::duration OrderSteps::route_and_build_time() {
  if (fast()) return std::chrono::steady_clock::duration::zero();
  return jitter(150, 250) + jitter(20, 60);
}

OrderEvent OrderSteps::legs_settled(const OrderState& s) const {
  Amount filled{};
  std::string failed;
  for (const LegState& l : s.legs) {
    if (l.landed) {
      filled.base += l.amount_out.base;
    } else if (failed.empty()) {
      failed = "leg on " + std::string(venue_name(l.leg.venue)) + " failed: " + s.last_error;
    }
  }
  if (failed.empty()) {
    return Confirmed{s.attempt, s.venue.value_or(Venue::raydium), s.tx_id, filled, s.input_token, s.output_token,
                     s.amount_in, std::nullopt, leg_fills(s)};
  }
  // A fired limit order none of whose legs filled, re-priced below a
  // leg's floor, waits in the book again, as one on one venue does.
  if (s.order_type == OrderType::limit && !any_leg_landed(s) && s.last_error.starts_with("slippage exceeded")) {
    return Reopened{s.attempt, failed};
  }
  const std::uint32_t used = s.attempt - s.retry_floor;
  if (used >= options_.max_attempts && any_leg_landed(s)) {
    return PartiallyFilled{s.attempt, failed + " (gave up after " + std::to_string(used) + " attempts)", filled,
                           leg_fills(s), s.input_token, s.output_token};
  }
  return fail_attempt(s, failed);
}

std::chrono::steady_clock::duration OrderSteps::stage_wait(const OrderState& s) {
  using Clock = std::chrono::steady_clock;
  switch (s.status) {
    case Status::pending: {
      const auto backoff = s.retry_at.value == 0 ? Clock::duration::zero()
                                                 : std::max<Clock::duration>(
                                                       Clock::duration::zero(),
                                                       std::chrono::nanoseconds(s.retry_at.value - sim_now().value));
      // A new limit order, sniper or recurring order begins to wait first.
      const bool waits_first = s.attempt == s.retry_floor && s.order_type != OrderType::market;
      return waits_first ? backoff : backoff + route_and_build_time();
    }
    case Status::routing: return route_and_build_time();
    case Status::building: return fast() ? Clock::duration::zero() : jitter(20, 60);
    case Status::submitted:
      // Nothing to wait for once a split order's legs have all settled.
      if (fast() || (!s.legs.empty() && !unsettled_leg(s))) return Clock::duration::zero();
      if (chain_.find(tx_request(s).tx_id)) return Clock::duration::zero();
      return jitter(2000, 3000);
    case Status::none:
    case Status::confirmed:
    case Status::failed:
    case Status::open:
    case Status::cancelled:
    case Status::expired:
    case Status::watching:
    case Status::partially_filled:
    case Status::active:
    case Status::completed:
      break;
  }
  return Clock::duration::zero();
}

std::optional<OrderEvent> OrderSteps::next_event(const OrderId& id, const OrderState& s) {
  switch (s.status) {
    case Status::pending:
      // A limit order waits in the book first, a sniper for its launch;
      // once triggered, a retry after a failed attempt routes again like
      // any order.
      if (s.attempt == s.retry_floor) {
        if (s.order_type == OrderType::limit) return Opened{s.attempt};
        if (s.order_type == OrderType::sniper) return WatchStarted{s.attempt};
        if (s.order_type == OrderType::recurring) return RecurringStarted{sim_now()};
      }
      return start_attempt(id, s);
    case Status::routing: return route_and_send(id, s, false);
    case Status::building: return transaction(id, s);  // a log written before routedAndSent
    case Status::submitted:
      // With its tokens, the chain's answer decides (needs_chain); a split
      // order's legs each, then the order on what they came to.
      if (!s.input_token || !s.output_token) return OrderFailed{s.attempt, "unknown token"};
      if (!s.legs.empty() && !unsettled_leg(s)) return legs_settled(s);
      break;
    case Status::none:
    case Status::confirmed:
    case Status::failed:
    case Status::open:
    case Status::cancelled:
    case Status::expired:
    case Status::watching:
    case Status::partially_filled:
    case Status::active:
    case Status::completed:
      break;
  }
  return std::nullopt;
}

bool OrderSteps::needs_chain(const OrderState& s) {
  return s.status == Status::submitted && s.input_token && s.output_token && (s.legs.empty() || unsettled_leg(s));
}

TxRequest OrderSteps::tx_request(const OrderState& s) {
  if (const auto i = unsettled_leg(s)) {
    const LegState& leg = s.legs[*i];
    return TxRequest{leg.tx_id,          leg.leg.venue,   s.input_token,       s.output_token,
                     leg.leg.amount_in, leg.leg.min_out, s.tx_last_valid_at};
  }
  return TxRequest{s.tx_id,     s.venue.value_or(Venue::raydium), s.input_token, s.output_token,
                   s.amount_in, s.min_out,                        s.tx_last_valid_at};
}

std::optional<OrderEvent> OrderSteps::event_after_tx(const OrderState& s, const TxResult& r,
                                                     std::string& not_now) const {
  if (r.outcome == TxOutcome::unavailable) {
    not_now = r.error;
    return std::nullopt;
  }
  if (const auto i = unsettled_leg(s)) {
    const LegState& leg = s.legs[*i];
    const bool landed = r.outcome == TxOutcome::landed;
    return LegSettled{s.attempt,
                      *i,
                      landed,
                      LegFill{leg.leg.venue, leg.leg.amount_in, landed ? r.amount_out : Amount{}, leg.tx_id},
                      s.input_token,
                      s.output_token,
                      landed ? std::string() : r.error,
                      r.executed_on};
  }
  if (r.outcome == TxOutcome::landed) {
    return Confirmed{s.attempt, *s.venue, s.tx_id, r.amount_out, s.input_token, s.output_token, s.amount_in,
                     r.executed_on};
  }
  if (r.outcome == TxOutcome::slippage_exceeded && s.order_type == OrderType::limit) {
    return Reopened{s.attempt, r.error};
  }
  return fail_attempt(s, r.error, r.executed_on);
}

}  // namespace oee::core
