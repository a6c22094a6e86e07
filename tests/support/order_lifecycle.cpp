#include <algorithm>
#include "order_lifecycle.h"

#include "core/domain/recurring.h"

#include <chrono>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>

namespace oee::testing {

namespace {

using namespace core;

// A routing order's route: on one venue, or split across both (a filled
// leg stands).
Routed routed_for(const OrderState& s, int roll) {
  const std::uint32_t a = s.attempt;
  const Venue venue = s.venue.value_or(roll % 2 ? Venue::meteora : Venue::raydium);
  if (roll >= 92 || any_leg_landed(s)) {
    Routed split{a, s.input_token, s.output_token, s.amount_in, {}, Venue::raydium, Amount{150'000u + roll},
                 Amount{149'000}};
    const std::uint64_t half = s.amount_in.base / 2;
    split.legs = {Leg{Venue::raydium, Amount{s.amount_in.base - half}, Amount{75'000u + roll}, Amount{74'500}},
                  Leg{Venue::meteora, Amount{half}, Amount{75'000}, Amount{74'500}}};
    if (any_leg_landed(s)) {
      split.legs.clear();
      for (const auto& l : s.legs) split.legs.push_back(l.leg);
    }
    split.second_tx_fee = Amount{750};
    split.split_min_gain_bps = 10;
    return split;
  }
  return Routed{a,     s.input_token,   s.output_token, s.amount_in, {},
                venue, Amount{150'000u + roll}, Amount{149'000}};
}

// A routed order's transaction: one, or one per leg not filled yet.
TxSubmitted sent_for(const OrderState& s, int roll, std::mt19937_64& rng) {
  const std::uint32_t a = s.attempt;
  const Venue venue = s.venue.value_or(roll % 2 ? Venue::meteora : Venue::raydium);
  if (!s.legs.empty()) {
    TxSubmitted tx{a, venue, "tx-" + std::to_string(roll), Amount{149'000}};
    for (std::size_t i = 0; i < s.legs.size(); ++i) {
      tx.leg_tx_ids.push_back(s.legs[i].landed ? "" : "tx-" + std::to_string(a) + "-" + std::to_string(i));
    }
    return tx;
  }
  return TxSubmitted{a, venue, "tx-" + std::to_string(rng()), Amount{149'000}};
}

// Both in one record, from pending (starting the next attempt) or routing.
RoutedAndSent routed_and_sent(const OrderState& s, bool starts_attempt, int roll, std::mt19937_64& rng) {
  OrderState routing = s;
  if (starts_attempt) routing = *apply(s, RoutingStarted{s.attempt + 1}, TimestampNs{1});
  Routed routed = routed_for(routing, roll);
  const OrderState building = *apply(routing, routed, TimestampNs{1});
  return RoutedAndSent{starts_attempt, std::move(routed), sent_for(building, roll, rng)};
}

}  // namespace

core::OrderEvent next_event(const core::OrderState& s, std::mt19937_64& rng) {
  using namespace core;
  const int roll = static_cast<int>(rng() % 100);
  const std::uint32_t a = s.attempt;
  const Venue venue = s.venue.value_or(roll % 2 ? Venue::meteora : Venue::raydium);
  switch (s.status) {
    case Status::none: {
      OrderSubmitted e{
          OrderType::market, core::token_id("SOL"), core::token_id("USDC"), Amount{1'000'000 + rng() % 9}, 50, ""};
      if (roll < 30) {  // a limit order
        e.order_type = OrderType::limit;
        e.slippage_bps = 0;
        e.min_amount_out = Amount{150'000u + roll};
        e.expires_at = TimestampNs{1'900'000'000'000'000'000 + roll};
      } else if (roll < 40) {  // a sniper order
        e.order_type = OrderType::sniper;
        e.output_token = *TokenId::name("SNIPE" + std::to_string(roll));
        e.slippage_bps = 0;
        e.min_amount_out = Amount{90'000u + roll};
        e.expires_at = TimestampNs{1'900'000'000'000'000'000 + roll};
        e.checks = SniperChecks{roll % 2 == 0, roll % 3 == 0, Amount{static_cast<std::uint64_t>(roll) * 1000}};
      } else if (roll < 44) {  // a recurring order, or one of its slices
        e.order_type = roll < 42 ? OrderType::recurring : OrderType::market;
        e.recurring = RecurringTerms{2 + static_cast<std::uint32_t>(roll % 3), 60, roll % 2 == 0 ? 150'000'000'000'000u : 0,
                                     roll % 3 == 0 ? 250'000'000'000'000u : 0, roll % 2 == 1};
        if (e.order_type == OrderType::market) {
          e.recurring = {};
          e.parent = OrderId::random();
          e.slice = static_cast<std::uint32_t>(roll);
        }
      }
      return e;
    }
    case Status::pending:
      if (is_cancellable(s) && roll < 5) return Cancelled{a, "cancelled by its owner"};
      if (s.order_type == OrderType::recurring) return RecurringStarted{TimestampNs{1'900'000'000'000'000'000 + roll}};
      if (s.order_type == OrderType::limit && a == s.retry_floor) return Opened{a};
      if (s.order_type == OrderType::sniper && a == s.retry_floor) return WatchStarted{a};
      if (roll < 10 || a >= 4) return OrderFailed{a, "gave up after attempt " + std::to_string(a)};
      if (roll >= 55) return routed_and_sent(s, true, roll, rng);  // as the executor writes it now
      return RoutingStarted{a + 1};
    case Status::watching:
      if (roll < 20) return LaunchRejected{a, venue, static_cast<std::uint64_t>(roll), "freeze authority present"};
      [[fallthrough]];
    case Status::open:
      if (roll < 15) return Cancelled{a, "cancelled by its owner"};
      if (roll < 25) return Expired{a};
      if (roll >= 90) return amend_event(s, Amount{s.min_amount_out.base + 1}, TimestampNs{s.expires_at.value + 1});
      return Triggered{a + 1, s.input_token, s.output_token, s.amount_in, {}, venue,
                       Amount{s.min_amount_out.base + 10}, s.min_amount_out, TimestampNs{roll}};
    case Status::routing:
      if (s.order_type == OrderType::limit && roll < 10) return Reopened{a, "re-priced below the limit"};
      if (roll < 20) return AttemptFailed{a, "no route " + std::to_string(roll), TimestampNs{roll}};
      if (roll >= 50) return routed_and_sent(s, false, roll, rng);  // as the executor writes it now
      return routed_for(s, roll);
    case Status::building:
      if (roll < 15) return AttemptFailed{a, "build failed", TimestampNs{1}};
      return sent_for(s, roll, rng);
    case Status::submitted:
      if (!s.legs.empty()) {
        if (const auto i = unsettled_leg(s)) {
          const LegState& l = s.legs[*i];
          const bool landed = roll < 70;
          return LegSettled{a, *i, landed, LegFill{l.leg.venue, l.leg.amount_in, Amount{landed ? 75'100u + roll : 0u}, l.tx_id},
                            s.input_token, s.output_token, landed ? "" : "transaction dropped"};
        }
        Amount filled{};
        for (const auto& l : s.legs) filled.base += l.amount_out.base;
        if (std::all_of(s.legs.begin(), s.legs.end(), [](const LegState& l) { return l.landed; })) {
          return Confirmed{a, venue, s.tx_id, filled, s.input_token, s.output_token, s.amount_in, {}, leg_fills(s)};
        }
        if (a >= 3 && any_leg_landed(s)) {
          return PartiallyFilled{a, "leg on meteora failed", filled, leg_fills(s), s.input_token, s.output_token};
        }
        return AttemptFailed{a, "leg failed", TimestampNs{2}};
      }
      if (roll < 25) return AttemptFailed{a, "dropped", TimestampNs{2}};
      if (roll < 30) return OrderFailed{a, "slippage exceeded"};
      return Confirmed{
          a, venue, s.tx_id, Amount{149'500u + roll}, s.input_token, s.output_token, s.amount_in};
    case Status::active: {
      const auto k = static_cast<std::uint32_t>(s.slices.size());
      const TimestampNs due{s.first_due.value + std::int64_t{k} * 60'000'000'000};
      if (roll < 5) return Cancelled{a, "cancelled by its owner"};
      if (k == s.recurring.slices) {
        return RecurringCompleted{k, 1, Amount{s.amount_in.base - 1}, Amount{150'000u + roll}, s.input_token,
                                  s.output_token};
      }
      const Amount amount = slice_amount(s.amount_in, s.recurring.slices, k);
      if (roll < 30) {
        return SliceSkipped{k, amount, due, {}, venue, Amount{100u + roll}, "price below minPrice", s.input_token,
                            s.output_token};
      }
      return SliceStarted{k, OrderId::random(), amount, due, s.input_token, s.output_token};
    }
    case Status::confirmed:
    case Status::failed:
    case Status::cancelled:
    case Status::expired:
    case Status::partially_filled:
    case Status::completed: break;
  }
  throw std::logic_error("no event after a terminal status");
}

Driven drive_orders(core::OrderStore& store, int count, std::uint64_t seed, int max_events,
                    const SubmissionMaker& submission) {
  constexpr auto kDeadline = std::chrono::seconds(30);
  std::mt19937_64 rng(seed);
  Driven d;
  d.ids.resize(count);
  d.states.resize(count);
  std::vector<int> budget(count);
  for (int i = 0; i < count; ++i) d.ids[i] = OrderId::random(), budget[i] = 1 + static_cast<int>(rng() % static_cast<std::uint64_t>(max_events));
  for (bool progressed = true; progressed;) {
    progressed = false;
    std::vector<std::pair<int, std::future<eventlog::Result<core::AppendedEvent>>>> inflight;
    for (int i = 0; i < count; ++i) {
      if (budget[i]-- <= 0 || core::is_terminal(d.states[i].status)) continue;
      auto p = std::make_shared<std::promise<eventlog::Result<core::AppendedEvent>>>();
      inflight.emplace_back(i, p->get_future());
      core::OrderEvent event = submission && d.states[i].status == core::Status::none ? submission(rng)
                                                                                        : next_event(d.states[i], rng);
      store.append(d.ids[i], d.states[i], std::move(event), std::nullopt,
                   [p](eventlog::Result<core::AppendedEvent> r) { p->set_value(std::move(r)); });
    }
    for (auto& [i, f] : inflight) {
      if (f.wait_for(kDeadline) != std::future_status::ready) throw std::runtime_error("append timed out");
      auto r = f.get();
      if (!r) throw std::runtime_error("append failed: " + r.error().message());
      d.states[i] = std::move(r->state);
      progressed = true;
    }
  }
  return d;
}

eventlog::Result<core::AppendedEvent> append_and_wait(core::OrderStore& store, const OrderId& id,
                                                      const core::OrderState& current, core::OrderEvent event) {
  auto p = std::make_shared<std::promise<eventlog::Result<core::AppendedEvent>>>();
  auto f = p->get_future();
  store.append(id, current, std::move(event), std::nullopt,
               [p](eventlog::Result<core::AppendedEvent> r) { p->set_value(std::move(r)); });
  if (f.wait_for(std::chrono::seconds(30)) != std::future_status::ready) throw std::runtime_error("append timed out");
  return f.get();
}

}  // namespace oee::testing
