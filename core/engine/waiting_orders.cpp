// The waits of limit and sniper orders: the book and the watch, triggers,
// launches, expiries and the events that end a wait (waiting_orders.h); what
// is asked of them from outside: waiting_actions.cpp.
#include "core/engine/waiting_orders.h"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "core/domain/sim_clock.h"

namespace oee::core {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

WaitingOrders::WaitingOrders(asio::io_context& ioc, OrderStore& store, const Market& market, EngineMetrics& metrics,
                             std::chrono::milliseconds watch_interval, KeyCheck key_check)
    : ioc_(ioc),
      store_(store),
      market_(market),
      metrics_(metrics),
      watch_interval_(watch_interval),
      key_check_(std::move(key_check)),
      watch_timer_(ioc) {}

void WaitingOrders::start(Runner runner) {
  runner_ = std::move(runner);
  watch();
}

void WaitingOrders::stop() {
  stopping_ = true;
  watch_timer_.cancel();
  for (auto& [id, answers] : std::exchange(cancels_, {})) {
    for (auto& done : answers) done(unavailable_answer("the engine is stopping"));
  }
  for (auto& [id, answers] : std::exchange(amends_, {})) {
    for (auto& a : answers) a.done(unavailable_answer("the engine is stopping"));
  }
  for (auto& [id, done] : std::exchange(amending_, {})) done(unavailable_answer("the engine is stopping"));
  // Nobody here runs them any more (a cluster node gave up their
  // partition): they leave this node's count of waiting orders, which the
  // partition's next executor counts.
  for (const auto& [id, p] : std::exchange(parked_, {})) {
    metrics_.count_waiting(p.state.order_type, p.state.input_token, p.state.output_token, -1);
  }
}

bool WaitingOrders::holds(const OrderId& id) const {
  return parked_.contains(id) || settling_.contains(id) || deferred_.contains(id);
}

void WaitingOrders::park(const OrderId& id, OrderState state, Seq seq) {
  if (stopping_) return;
  const std::uint32_t attempt = state.attempt;
  if (cancels_.contains(id)) {
    settle(id, Parked{std::move(state), seq}, Cancelled{attempt, std::string(kCancelledByOwner)});
    return;
  }
  // Its key revoked or expired before it began to wait here (resumed after
  // a restart or a takeover): it never waits.
  if (std::string why = key_check_ ? key_check_(state) : std::string{}; !why.empty()) {
    settle(id, Parked{std::move(state), seq}, Cancelled{attempt, std::move(why)});
    return;
  }
  if (state.expires_at.value != 0 && state.expires_at <= sim_now()) {
    settle(id, Parked{std::move(state), seq}, Expired{attempt});
    return;
  }
  if (amends_.contains(id) && take_amend(id, Parked{state, seq})) return;
  if (state.order_type == OrderType::sniper) {
    snipers_.add(watching_sniper_of(id, state, seq));
    new_watchers_.insert(&state.output_token.token());
  } else {
    book_.add(book_order_of(id, state, seq));
  }
  metrics_.count_waiting(state.order_type, state.input_token, state.output_token, 1);
  parked_.emplace(id, Parked{std::move(state), seq});
}

// Takes a waiting order out of parked_; the caller has taken it out of its
// book or watch.
WaitingOrders::Parked WaitingOrders::unpark(const OrderId& id) {
  auto it = parked_.find(id);
  Parked p = std::move(it->second);
  parked_.erase(it);
  metrics_.count_waiting(p.state.order_type, p.state.input_token, p.state.output_token, -1);
  return p;
}

void WaitingOrders::changed_elsewhere(const OrderId& id) {
  const auto it = parked_.find(id);
  if (it == parked_.end()) return;  // not waiting here, or its wait is ending (settled() reads the log)
  auto held = store_.load(id);
  if (!held || !*held || (*held)->last_seq <= it->second.seq) return;
  if (!book_.remove(id)) snipers_.remove(id);
  unpark(id);
  if (is_waiting((*held)->state.status)) {
    park(id, std::move((*held)->state), (*held)->last_seq);
    return;
  }
  answer_all(**held);
}

void WaitingOrders::poke() {
  if (!stopping_) look();
}

BookView WaitingOrders::book(TokenId input, TokenId output, std::size_t max_levels) const {
  return BookView{book_.levels(input, output, max_levels), book_.count(input, output)};
}

void WaitingOrders::watch() {
  // The next look comes sooner when an order expires before it.
  std::chrono::nanoseconds wait = watch_interval_;
  if (const TimestampNs next = next_expiry(); next.value != 0) {
    wait = std::clamp(std::chrono::nanoseconds(next.value - sim_now().value), std::chrono::nanoseconds(0),
                      wait);
  }
  watch_timer_.expires_after(wait);
  watch_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->stopping_) return;
    self->look();
    self->watch();
  });
}

TimestampNs WaitingOrders::next_expiry() const {
  const TimestampNs book = book_.next_expiry();
  const TimestampNs watch = snipers_.next_expiry();
  if (book.value == 0) return watch;
  if (watch.value == 0) return book;
  return std::min(book, watch);
}

void WaitingOrders::look() {
  if (stopping_) return;
  const auto at = sim_time_point();
  const TimestampNs observed{std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count()};
  repark_deferred();
  expire_due(observed);
  look_at_pools(observed, at);
  look_at_launches(observed);
}

void WaitingOrders::expire_due(TimestampNs now) {
  std::vector<OrderId> due;
  for (const BookOrder& o : book_.pop_expired(now)) due.push_back(o.id);
  for (const WatchingSniper& w : snipers_.pop_expired(now)) due.push_back(w.id);
  for (const OrderId& id : due) {
    Parked waiting = unpark(id);
    const std::uint32_t attempt = waiting.state.attempt;
    settle(id, std::move(waiting), Expired{attempt});
  }
}

void WaitingOrders::look_at_pools(TimestampNs observed, std::chrono::system_clock::time_point at) {
  for (const auto& [in, out] : book_.directions()) {
    const auto pools = market_.pools(in.token(), out.token(), at);
    if (!pools) continue;
    for (FiredOrder& f : book_.pop_fired(in, out, *pools)) fire(f.order.id, std::move(f.decision), observed);
  }
}

// Judges the launches of every token that launched since the last look,
// and of every token a sniper began to watch since (its launches from
// after the sniper's acceptance count too).
void WaitingOrders::look_at_launches(TimestampNs observed) {
  std::unordered_set<const Token*> targets = std::exchange(new_watchers_, {});
  const auto launched = market_.launches_after(launches_seen_);
  if (!launched.empty()) launches_seen_ = launched.back().number;
  for (const Launch& l : launched) targets.insert(&l.token.token());
  for (const Token* target : targets) {
    const TokenId token(*target);
    const auto watchers = snipers_.watching(token);
    if (watchers.empty()) continue;
    const auto launches = market_.launches_of(token);
    for (const WatchingSniper& sniper : watchers) {
      SniperJudgement j = judge_launches(sniper, launches);
      if (!j.buy && !j.turned_down) continue;
      snipers_.remove(sniper.id);
      if (j.buy) {
        fire(sniper.id, std::move(*j.buy), observed, std::move(j.passed));
      } else {
        Parked waiting = unpark(sniper.id);
        const LaunchRejected event{waiting.state.attempt, j.turned_down->venue, j.turned_down->launch,
                                   std::move(j.turned_down->reason), j.turned_down->seen};
        settle(sniper.id, std::move(waiting), event);
      }
    }
  }
}

// A waiting order, out of its index already, fires on `decision`: the
// pools observed at `observed` pay its threshold.
void WaitingOrders::fire(const OrderId& id, RouteDecision decision, TimestampNs observed,
                         std::vector<LaunchSeen> launches) {
  Parked waiting = unpark(id);
  const OrderState& s = waiting.state;
  if (std::string why = key_check_ ? key_check_(s) : std::string{}; !why.empty()) {
    const std::uint32_t attempt = s.attempt;
    settle(id, std::move(waiting), Cancelled{attempt, std::move(why)});
    return;
  }
  const Triggered event{s.attempt + 1,
                        s.input_token,
                        s.output_token,
                        s.amount_in,
                        std::move(decision.quotes),
                        decision.best.venue,
                        decision.best.amount_out,
                        s.min_amount_out,
                        observed,
                        std::move(launches)};
  settle(id, std::move(waiting), event);
}

void WaitingOrders::repark_deferred() {
  const auto now = Clock::now();
  for (auto it = deferred_.begin(); it != deferred_.end();) {
    if (it->second.until > now) {
      ++it;
      continue;
    }
    const OrderId id = it->first;
    Parked p = std::move(it->second.order);
    it = deferred_.erase(it);
    park(id, std::move(p.state), p.seq);
  }
}

// Appends the event that ends an order's wait (its trigger, cancel or
// expiry), or that a sniper watches on after (a launch turned down).
void WaitingOrders::settle(const OrderId& id, Parked waiting, OrderEvent event) {
  settling_.insert(id);
  const EventType type = type_of(event);
  const TimestampNs observed_at =
      std::holds_alternative<Triggered>(event) ? std::get<Triggered>(event).observed_at : TimestampNs{};
  const OrderState current = waiting.state;
  // Decided on the order as of its last seq: refused by a log others
  // append to if anything of the order came since (a cancel sent to
  // another node of a cluster), then decided again on what came.
  const Seq basis = waiting.seq;
  try {
    store_.append_on(id, current, basis, std::move(event),
                  [self = shared_from_this(), id, waiting = std::move(waiting), type,
                   observed_at](eventlog::Result<AppendedEvent> r) mutable {
                    // Runs as the event is durable: the trigger's latency ends here, not
                    // once the executor's thread gets to it.
                    if (r && type == EventType::triggered) {
                      self->metrics_.triggers.fetch_add(1, std::memory_order_relaxed);
                      self->metrics_.trigger_latency_seconds.observe(
                          static_cast<double>(sim_now().value - observed_at.value) / 1e9);
                    }
                    asio::post(self->ioc_, [self, id, waiting = std::move(waiting), type,
                                            r = std::move(r)]() mutable {
                      self->settled(id, std::move(waiting), type, std::move(r));
                    });
                  });
  } catch (const std::exception& e) {
    // A bug (an illegal event): the order stays as the log has it and is
    // run again on the next start; say so loudly.
    spdlog::critical("executor: order {}: {}", id.str(), e.what());
    settling_.erase(id);
    answer_all_unavailable(id, e.what());
  }
}

void WaitingOrders::settled(const OrderId& id, Parked before, EventType type, eventlog::Result<AppendedEvent> r) {
  settling_.erase(id);
  if (!r) {
    // Nothing changed: the order waits on, and goes back to its book or watch after
    // a pause (100 ms doubling to 5 s while the log refuses), so a full
    // disk does not spin the executor on orders whose time is up.
    metrics_.append_failures.fetch_add(1);
    const auto now = Clock::now();
    if (now - last_refusal_log_ >= std::chrono::seconds(1)) {
      last_refusal_log_ = now;
      spdlog::error("executor: order {} waits on: the log refused the event that ends its wait: {}", id.str(),
                    r.error().message());
    }
    if (type == EventType::cancelled) answer_cancels(id, unavailable_answer(r.error().message()));
    answer_amending(id, unavailable_answer(r.error().message()));
    if (stopping_) return;
    // Another writer may have ended the wait meanwhile (a cancel sent to
    // another node of a cluster): then the order waits on only as the log
    // holds it.
    if (auto held = store_.load(id); held && *held && (*held)->last_seq > before.seq) {
      if (!is_waiting((*held)->state.status)) {
        answer_all(**held);
        return;
      }
      before = Parked{std::move((*held)->state), (*held)->last_seq};
    }
    settle_pause_ =
        std::clamp<Clock::duration>(settle_pause_ * 2, std::chrono::milliseconds(100), std::chrono::seconds(5));
    deferred_.emplace(id, Deferred{now + settle_pause_, std::move(before)});
    return;
  }
  settle_pause_ = Clock::duration{};
  if (is_waiting(r->state.status)) {
    // Amended, or a launch turned down: the order waits on, and a cancel
    // or amendment that came meanwhile is taken up as it parks.
    if (amending_.contains(id)) {
      answer_amending(id, ActionAnswer{ActionAnswer::Outcome::done, OrderSnapshot{id, r->state, r->seq}, {}});
    }
    park(id, std::move(r->state), r->seq);
    return;
  }
  const OrderSnapshot now{id, r->state, r->seq};
  const bool triggered = now.state.status == Status::routing;
  answer_all(now);
  if (triggered && !stopping_) runner_.run(id);
}

}  // namespace oee::core
