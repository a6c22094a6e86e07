#include "core/wire/event_codec.h"

#include <cstring>
#include <stdexcept>

#include "core/wire/detail/flatbuffer_payload.h"
#include "core/wire/detail/order_fields.h"
#include "schemas/order_events_generated.h"

namespace oee::core {

namespace {

using detail::finish;
using detail::verified_root;
using namespace detail;  // the stored fields' conversions
using flatbuffers::FlatBufferBuilder;

// Events that carry an attempt and a reason (or just the attempt).
template <class Stored, class Event>
std::optional<OrderEvent> with_reason(std::string_view payload) {
  const auto* p = verified_root<Stored>(payload);
  if (p == nullptr) return std::nullopt;
  return Event{p->attempt(), str(p->reason())};
}

template <class Stored, class Event>
std::optional<OrderEvent> attempt_only(std::string_view payload) {
  const auto* p = verified_root<Stored>(payload);
  if (p == nullptr) return std::nullopt;
  return Event{p->attempt()};
}

flatbuffers::Offset<fb::Routed> routed_table(FlatBufferBuilder& fbb, const Routed& e) {
  const auto quotes = quote_tables(fbb, e.quotes);
  std::vector<flatbuffers::Offset<fb::Leg>> legs;
  for (const auto& l : e.legs) legs.push_back(leg_table(fbb, l));
  const auto leg_vector = tables_or_none(fbb, legs);
  const auto input = fbb.CreateString(e.input_token.c_str());
  const auto output = fbb.CreateString(e.output_token.c_str());
  const auto quote_vector = fbb.CreateVector(quotes);
  fb::RoutedBuilder b(fbb);
  b.add_attempt(e.attempt);
  b.add_input_token(input);
  b.add_output_token(output);
  b.add_amount_in(e.amount_in.base);
  b.add_quotes(quote_vector);
  b.add_venue(to_fb(e.venue));
  b.add_expected_out(e.expected_out.base);
  b.add_min_out(e.min_out.base);
  if (!e.legs.empty()) b.add_legs(leg_vector);
  if (e.second_tx_fee) b.add_second_tx_fee(e.second_tx_fee->base);
  if (e.split_min_gain_bps) b.add_split_min_gain_bps(*e.split_min_gain_bps);
  return b.Finish();
}

flatbuffers::Offset<fb::TxSubmitted> sent_table(FlatBufferBuilder& fbb, const TxSubmitted& e) {
  std::vector<flatbuffers::Offset<flatbuffers::String>> ids;
  for (const auto& id : e.leg_tx_ids) ids.push_back(fbb.CreateString(id));
  const auto id_vector = tables_or_none(fbb, ids);
  return fb::CreateTxSubmitted(fbb, e.attempt, to_fb(e.venue), fbb.CreateString(e.tx_id), e.min_out.base, id_vector,
                               e.last_valid_at.value);
}

std::optional<Routed> routed_of(const fb::Routed& p) {
  const auto in = token_of(p.input_token()), out = token_of(p.output_token());
  if (!in || !out) return std::nullopt;
  const Amount amount_in{p.amount_in()};
  Routed r{p.attempt(),        *in, *out, amount_in, quotes_of(p.quotes(), amount_in), from_fb(p.venue()),
           Amount{p.expected_out()}, Amount{p.min_out()}};
  if (p.legs() != nullptr) {
    for (const auto* l : *p.legs()) r.legs.push_back(leg_of(*l));
  }
  if (p.second_tx_fee()) r.second_tx_fee = Amount{*p.second_tx_fee()};
  if (p.split_min_gain_bps()) r.split_min_gain_bps = *p.split_min_gain_bps();
  return r;
}

TxSubmitted sent_of(const fb::TxSubmitted& p) {
  TxSubmitted t{p.attempt(), from_fb(p.venue()), str(p.tx_id()), Amount{p.min_out()}};
  t.last_valid_at = TimestampNs{p.last_valid_at_ns()};
  if (p.leg_tx_ids() != nullptr) {
    for (const auto* id : *p.leg_tx_ids()) t.leg_tx_ids.push_back(str(id));
  }
  return t;
}

}  // namespace

std::string encode_event(const OrderEvent& event) {
  // One builder per thread, cleared for each encoding: it keeps its
  // buffer, so an encoding allocates only the string it returns.
  thread_local FlatBufferBuilder fbb(256);
  fbb.Clear();
  std::visit(
      [&](const auto& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, OrderSubmitted>) {
          const auto owner = owner_field(e.owner);
          const auto parent = owner_field(e.parent);
          const auto& r = e.recurring;
          fbb.Finish(fb::CreateOrderSubmittedDirect(
              fbb, static_cast<fb::OrderType>(e.order_type), e.input_token.c_str(), e.output_token.c_str(),
              e.amount_in.base, e.slippage_bps, e.idempotency_key.empty() ? nullptr : e.idempotency_key.c_str(),
              nullptr, e.expires_at.value, nullptr, nullptr, owner ? &*owner : nullptr, e.min_amount_out.base,
              e.checks.require_mint_renounced, e.checks.require_no_freeze, e.checks.min_liquidity.base, r.slices,
              r.interval_s, r.min_price_e12, r.max_price_e12, r.catch_up, parent ? &*parent : nullptr, e.slice));
        } else if constexpr (std::is_same_v<T, RoutingStarted>) {
          fbb.Finish(fb::CreateRoutingStarted(fbb, e.attempt));
        } else if constexpr (std::is_same_v<T, Routed>) {
          fbb.Finish(routed_table(fbb, e));
        } else if constexpr (std::is_same_v<T, TxSubmitted>) {
          fbb.Finish(sent_table(fbb, e));
        } else if constexpr (std::is_same_v<T, RoutedAndSent>) {
          const auto routed = routed_table(fbb, e.routed);
          const auto sent = sent_table(fbb, e.sent);
          fbb.Finish(fb::CreateRoutedAndSent(fbb, e.starts_attempt, routed, sent));
        } else if constexpr (std::is_same_v<T, Confirmed>) {
          const auto executed_on = quote_table(fbb, e.executed_on);
          const auto fills = fill_tables(fbb, e.legs);
          const auto tx = fbb.CreateString(e.tx_id);
          const auto in = fbb.CreateString(e.input_token.c_str());
          const auto out = fbb.CreateString(e.output_token.c_str());
          fbb.Finish(fb::CreateConfirmed(fbb, e.attempt, to_fb(e.venue), tx, e.amount_out.base, in, out,
                                         e.amount_in.base, executed_on, fills));
        } else if constexpr (std::is_same_v<T, AttemptFailed>) {
          const auto executed_on = quote_table(fbb, e.executed_on);
          fbb.Finish(fb::CreateAttemptFailedDirect(fbb, e.attempt, e.reason.c_str(), e.retry_at.value, executed_on));
        } else if constexpr (std::is_same_v<T, OrderFailed>) {
          fbb.Finish(fb::CreateOrderFailedDirect(fbb, e.attempt, e.reason.c_str()));
        } else if constexpr (std::is_same_v<T, OrderRetried>) {
          fbb.Finish(fb::CreateOrderRetriedDirect(fbb, e.attempt, e.reason.c_str()));
        } else if constexpr (std::is_same_v<T, DeadLetterDismissed>) {
          fbb.Finish(fb::CreateDeadLetterDismissedDirect(fbb, e.attempt, e.reason.c_str()));
        } else if constexpr (std::is_same_v<T, Opened>) {
          fbb.Finish(fb::CreateOpened(fbb, e.attempt));
        } else if constexpr (std::is_same_v<T, Triggered>) {
          const auto quotes = quote_tables(fbb, e.quotes);
          std::vector<flatbuffers::Offset<fb::LaunchSeen>> launches;
          for (const auto& l : e.launches) launches.push_back(launch_table(fbb, l));
          fbb.Finish(fb::CreateTriggeredDirect(fbb, e.attempt, e.input_token.c_str(), e.output_token.c_str(),
                                               e.amount_in.base, &quotes, to_fb(e.venue), e.expected_out.base,
                                               e.threshold.base, e.observed_at.value,
                                               launches.empty() ? nullptr : &launches));
        } else if constexpr (std::is_same_v<T, Reopened>) {
          fbb.Finish(fb::CreateReopenedDirect(fbb, e.attempt, e.reason.c_str()));
        } else if constexpr (std::is_same_v<T, Cancelled>) {
          fbb.Finish(fb::CreateCancelledDirect(fbb, e.attempt, e.reason.c_str()));
        } else if constexpr (std::is_same_v<T, Expired>) {
          fbb.Finish(fb::CreateExpired(fbb, e.attempt));
        } else if constexpr (std::is_same_v<T, WatchStarted>) {
          fbb.Finish(fb::CreateWatchStarted(fbb, e.attempt));
        } else if constexpr (std::is_same_v<T, LegSettled>) {
          const auto executed_on = quote_table(fbb, e.executed_on);
          const auto fill = fill_table(fbb, e.fill);
          fbb.Finish(fb::CreateLegSettledDirect(fbb, e.attempt, e.leg, e.landed, fill, e.input_token.c_str(),
                                                e.output_token.c_str(), e.reason.c_str(), executed_on));
        } else if constexpr (std::is_same_v<T, PartiallyFilled>) {
          const auto fills = fill_tables(fbb, e.legs);
          const auto reason = fbb.CreateString(e.reason);
          const auto in = fbb.CreateString(e.input_token.c_str());
          const auto out = fbb.CreateString(e.output_token.c_str());
          fbb.Finish(fb::CreatePartiallyFilled(fbb, e.attempt, reason, e.amount_out.base, fills, in, out));
        } else if constexpr (std::is_same_v<T, RecurringStarted>) {
          fbb.Finish(fb::CreateRecurringStarted(fbb, e.first_due.value));
        } else if constexpr (std::is_same_v<T, SliceStarted>) {
          const auto child = *owner_field(e.child);
          const auto in = fbb.CreateString(e.input_token.c_str());
          const auto out = fbb.CreateString(e.output_token.c_str());
          fbb.Finish(fb::CreateSliceStarted(fbb, e.slice, &child, e.amount_in.base, e.due_at.value, in, out));
        } else if constexpr (std::is_same_v<T, SliceSkipped>) {
          const auto quotes = quote_tables(fbb, e.quotes);
          fbb.Finish(fb::CreateSliceSkippedDirect(fbb, e.slice, e.amount_in.base, e.due_at.value, &quotes,
                                                  to_fb(e.venue), e.expected_out.base, e.reason.c_str(),
                                                  e.input_token.c_str(), e.output_token.c_str()));
        } else if constexpr (std::is_same_v<T, RecurringCompleted>) {
          const auto in = fbb.CreateString(e.input_token.c_str());
          const auto out = fbb.CreateString(e.output_token.c_str());
          fbb.Finish(fb::CreateRecurringCompleted(fbb, e.done, e.skipped, e.spent.base, e.received.base, in, out));
        } else if constexpr (std::is_base_of_v<Amended, T>) {
          fbb.Finish(fb::CreateAmendedDirect(fbb, e.attempt, e.input_token.c_str(), e.output_token.c_str(),
                                             e.amount_in.base, e.min_amount_out.base, e.expires_at.value));
        } else {
          static_assert(std::is_same_v<T, LaunchRejected>);
          const auto seen = e.seen ? launch_table(fbb, *e.seen) : flatbuffers::Offset<fb::LaunchSeen>{};
          fbb.Finish(fb::CreateLaunchRejectedDirect(fbb, e.attempt, to_fb(e.venue), e.launch, e.reason.c_str(), seen));
        }
      },
      event);
  return finish(fbb);
}

bool starts_attempt(std::string_view routed_and_sent_payload) {
  const auto* p = verified_root<fb::RoutedAndSent>(routed_and_sent_payload);
  return p != nullptr && p->starts_attempt();
}

std::optional<OrderEvent> decode_event(std::uint8_t type, std::string_view payload) {
  switch (static_cast<EventType>(type)) {
    case EventType::submitted: {
      const auto* p = verified_root<fb::OrderSubmitted>(payload);
      if (p == nullptr) return std::nullopt;
      const auto in = token_of(p->input_token()), out = token_of(p->output_token());
      const auto owner = owner_of(p->owner_id(), p->owner());
      const auto parent = owner_of(p->parent_id(), nullptr);
      if (!in || !out || !owner || !parent || p->order_type() > fb::OrderType::MAX) return std::nullopt;
      return OrderSubmitted{static_cast<OrderType>(p->order_type()),
                            *in,
                            *out,
                            Amount{p->amount_in()},
                            p->slippage_bps(),
                            str(p->idempotency_key()),
                            *owner,
                            Amount{p->min_amount_out()},
                            TimestampNs{p->expires_at_ns()},
                            SniperChecks{p->require_mint_renounced(), p->require_no_freeze(),
                                         Amount{p->min_liquidity()}},
                            RecurringTerms{p->slices(), p->interval_s(), p->min_price_e12(), p->max_price_e12(),
                                           p->catch_up()},
                            *parent,
                            p->slice()};
    }
    case EventType::routing_started: return attempt_only<fb::RoutingStarted, RoutingStarted>(payload);
    case EventType::routed: {
      const auto* p = verified_root<fb::Routed>(payload);
      if (p == nullptr) return std::nullopt;
      return routed_of(*p);
    }
    case EventType::tx_submitted: {
      const auto* p = verified_root<fb::TxSubmitted>(payload);
      if (p == nullptr) return std::nullopt;
      return sent_of(*p);
    }
    case EventType::routed_and_sent: {
      const auto* p = verified_root<fb::RoutedAndSent>(payload);
      if (p == nullptr || p->routed() == nullptr || p->sent() == nullptr) return std::nullopt;
      auto routed = routed_of(*p->routed());
      if (!routed) return std::nullopt;
      return RoutedAndSent{p->starts_attempt(), std::move(*routed), sent_of(*p->sent())};
    }
    case EventType::confirmed: {
      const auto* p = verified_root<fb::Confirmed>(payload);
      if (p == nullptr) return std::nullopt;
      const auto in = token_of(p->input_token()), out = token_of(p->output_token());
      if (!in || !out) return std::nullopt;
      const Amount amount_in{p->amount_in()};
      return Confirmed{p->attempt(), from_fb(p->venue()), str(p->tx_id()),
                       Amount{p->amount_out()}, *in, *out, amount_in, quote_of(p->executed_on(), amount_in),
                       fills_of(p->legs())};
    }
    case EventType::attempt_failed: {
      const auto* p = verified_root<fb::AttemptFailed>(payload);
      if (p == nullptr) return std::nullopt;
      // The amount in is the order's; the audit reads it from there.
      return AttemptFailed{p->attempt(), str(p->reason()), TimestampNs{p->retry_at_ns()},
                           quote_of(p->executed_on(), Amount{})};
    }
    case EventType::order_failed: return with_reason<fb::OrderFailed, OrderFailed>(payload);
    case EventType::order_retried: return with_reason<fb::OrderRetried, OrderRetried>(payload);
    case EventType::dead_letter_dismissed: return with_reason<fb::DeadLetterDismissed, DeadLetterDismissed>(payload);
    case EventType::opened: return attempt_only<fb::Opened, Opened>(payload);
    case EventType::triggered: {
      const auto* p = verified_root<fb::Triggered>(payload);
      if (p == nullptr) return std::nullopt;
      const auto in = token_of(p->input_token()), out = token_of(p->output_token());
      if (!in || !out) return std::nullopt;
      const Amount amount_in{p->amount_in()};
      return Triggered{p->attempt(),
                       *in,
                       *out,
                       amount_in,
                       quotes_of(p->quotes(), amount_in),
                       from_fb(p->venue()),
                       Amount{p->expected_out()},
                       Amount{p->threshold()},
                       TimestampNs{p->observed_at_ns()},
                       launches_of(p->launches())};
    }
    case EventType::reopened: return with_reason<fb::Reopened, Reopened>(payload);
    case EventType::cancelled: return with_reason<fb::Cancelled, Cancelled>(payload);
    case EventType::expired: return attempt_only<fb::Expired, Expired>(payload);
    case EventType::watch_started: return attempt_only<fb::WatchStarted, WatchStarted>(payload);
    case EventType::launch_rejected: {
      const auto* p = verified_root<fb::LaunchRejected>(payload);
      if (p == nullptr) return std::nullopt;
      return LaunchRejected{p->attempt(), from_fb(p->venue()), p->launch(), str(p->reason()),
                            p->seen() != nullptr ? std::optional<LaunchSeen>(launch_of(*p->seen())) : std::nullopt};
    }
    case EventType::amended:
    case EventType::watch_amended: {
      const auto* p = verified_root<fb::Amended>(payload);
      if (p == nullptr) return std::nullopt;
      const auto in = token_of(p->input_token()), out = token_of(p->output_token());
      if (!in || !out) return std::nullopt;
      const Amended amended{p->attempt(), *in, *out, Amount{p->amount_in()}, Amount{p->min_amount_out()},
                            TimestampNs{p->expires_at_ns()}};
      if (static_cast<EventType>(type) == EventType::watch_amended) return WatchAmended{amended};
      return amended;
    }
    case EventType::leg_settled: {
      const auto* p = verified_root<fb::LegSettled>(payload);
      if (p == nullptr || p->fill() == nullptr) return std::nullopt;
      const auto in = token_of(p->input_token()), out = token_of(p->output_token());
      if (!in || !out) return std::nullopt;
      const LegFill fill = fill_of(*p->fill());
      return LegSettled{p->attempt(), p->leg(), p->landed(), fill, *in, *out, str(p->reason()),
                        quote_of(p->executed_on(), fill.amount_in)};
    }
    case EventType::recurring_started: {
      const auto* p = verified_root<fb::RecurringStarted>(payload);
      if (p == nullptr) return std::nullopt;
      return RecurringStarted{TimestampNs{p->first_due_ns()}};
    }
    case EventType::slice_started: {
      const auto* p = verified_root<fb::SliceStarted>(payload);
      if (p == nullptr || p->child() == nullptr) return std::nullopt;
      const auto in = token_of(p->input_token()), out = token_of(p->output_token());
      if (!in || !out) return std::nullopt;
      return SliceStarted{p->slice(), **owner_of(p->child(), nullptr), Amount{p->amount_in()},
                          TimestampNs{p->due_at_ns()}, *in, *out};
    }
    case EventType::slice_skipped: {
      const auto* p = verified_root<fb::SliceSkipped>(payload);
      if (p == nullptr) return std::nullopt;
      const auto in = token_of(p->input_token()), out = token_of(p->output_token());
      if (!in || !out) return std::nullopt;
      const Amount amount_in{p->amount_in()};
      return SliceSkipped{p->slice(),          amount_in,           TimestampNs{p->due_at_ns()},
                          quotes_of(p->quotes(), amount_in), from_fb(p->venue()), Amount{p->expected_out()},
                          str(p->reason()), *in, *out};
    }
    case EventType::recurring_completed: {
      const auto* p = verified_root<fb::RecurringCompleted>(payload);
      if (p == nullptr) return std::nullopt;
      const auto in = token_of(p->input_token()), out = token_of(p->output_token());
      if (!in || !out) return std::nullopt;
      return RecurringCompleted{p->done(), p->skipped(), Amount{p->spent()}, Amount{p->received()}, *in, *out};
    }
    case EventType::partially_filled: {
      const auto* p = verified_root<fb::PartiallyFilled>(payload);
      if (p == nullptr) return std::nullopt;
      const auto in = token_of(p->input_token()), out = token_of(p->output_token());
      if (!in || !out) return std::nullopt;
      return PartiallyFilled{p->attempt(), str(p->reason()), Amount{p->amount_out()}, fills_of(p->legs()), *in, *out};
    }
  }
  return std::nullopt;
}

FoldedRecord fold_record(const OrderState& state, const eventlog::Record& record) {
  auto event = decode_event(record.type, record.payload);
  if (!event) throw std::runtime_error("event seq " + std::to_string(record.seq.value) + " does not decode");
  auto next = apply(state, *event, record.ts);
  if (!next) {
    throw IllegalEvent("event seq " + std::to_string(record.seq.value) + " is illegal for order " +
                       record.order.str() + ": " + std::string(describe(next.error())));
  }
  return FoldedRecord{std::move(*event), std::move(*next)};
}

eventlog::Result<eventlog::FoldedEvent> fold_for_log(std::string_view previous_snapshot,
                                                     const eventlog::Record& record) {
  if (!is_order_event_type(record.type)) return eventlog::FoldedEvent{{}, true};
  OrderState before;
  if (!previous_snapshot.empty()) {
    auto decoded = decode_snapshot(previous_snapshot);
    if (!decoded) return make_error_code(eventlog::Errc::corrupted);
    before = std::move(*decoded);
  }
  auto event = decode_event(record.type, record.payload);
  if (!event) return make_error_code(eventlog::Errc::corrupted);
  auto next = apply(before, *event, record.ts);
  if (!next) return make_error_code(eventlog::Errc::illegal);
  return eventlog::FoldedEvent{encode_snapshot(*next), is_terminal(next->status)};
}

eventlog::Result<std::optional<OrderSnapshot>> fold_order_until(const eventlog::EventLogReader& log,
                                                                        const OrderId& id, Seq as_of) {
  auto records = log.read_order(id);
  if (!records) return records.error();
  OrderState state;
  Seq last{0};
  for (const auto& r : *records) {
    if (r.seq > as_of) break;
    if (!is_order_event_type(r.type)) return std::optional<OrderSnapshot>{};  // an API key's id, or a run's
    try {
      state = fold_record(state, r).state;
    } catch (const std::runtime_error&) {
      return make_error_code(eventlog::Errc::corrupted);
    }
    last = r.seq;
  }
  if (last.value == 0) return std::optional<OrderSnapshot>{};
  return std::optional<OrderSnapshot>(OrderSnapshot{id, std::move(state), last});
}

}  // namespace oee::core
