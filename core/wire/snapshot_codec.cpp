// An order's folded state as the log stores it beside its events.

#include "core/wire/event_codec.h"

#include "core/wire/detail/flatbuffer_payload.h"
#include "core/wire/detail/order_fields.h"
#include "schemas/order_events_generated.h"

namespace oee::core {

using detail::finish;
using detail::verified_root;
using namespace detail;
using flatbuffers::FlatBufferBuilder;

std::string encode_snapshot(const OrderState& s) {
  // One builder per thread, cleared for each encoding: it keeps its
  // buffer, so an encoding allocates only the string it returns.
  thread_local FlatBufferBuilder fbb(256);
  fbb.Clear();
  const auto owner = owner_field(s.owner);
  std::vector<flatbuffers::Offset<fb::LegSnapshot>> legs;
  for (const auto& l : s.legs) {
    legs.push_back(fb::CreateLegSnapshot(fbb, leg_table(fbb, l.leg), fbb.CreateString(l.tx_id), l.landed, l.settled,
                                         l.amount_out.base));
  }
  std::vector<flatbuffers::Offset<fb::SliceSnapshot>> slices;
  for (const auto& sl : s.slices) {
    const auto child = owner_field(sl.child);
    slices.push_back(fb::CreateSliceSnapshot(fbb, child ? &*child : nullptr, sl.amount_in.base, sl.due_at.value));
  }
  const auto parent = owner_field(s.parent);
  const auto& r = s.recurring;
  fbb.Finish(fb::CreateOrderSnapshotDirect(
      fbb, static_cast<std::uint8_t>(s.status), static_cast<fb::OrderType>(s.order_type), s.input_token.c_str(),
      s.output_token.c_str(), s.amount_in.base, s.slippage_bps, s.attempt, s.venue.has_value(),
      to_fb(s.venue.value_or(Venue::raydium)), s.expected_out.base, s.min_out.base, s.tx_id.c_str(),
      s.amount_out.base, s.last_error.c_str(), s.retry_at.value, s.created.value, s.updated.value,
      s.idempotency_key.c_str(), s.retry_floor, s.dismissed, nullptr, owner ? &*owner : nullptr, s.min_amount_out.base,
      s.expires_at.value, s.triggered_at.value, s.checks.require_mint_renounced, s.checks.require_no_freeze,
      s.checks.min_liquidity.base, s.launches_judged, legs.empty() ? nullptr : &legs, r.slices, r.interval_s,
      r.min_price_e12, r.max_price_e12, r.catch_up, s.first_due.value, slices.empty() ? nullptr : &slices,
      parent ? &*parent : nullptr, s.slice, s.tx_last_valid_at.value));
  return finish(fbb);
}

std::optional<OrderState> decode_snapshot(std::string_view bytes) {
  const auto* p = verified_root<fb::OrderSnapshot>(bytes);
  if (p == nullptr || p->status() >= kStatusCount || p->order_type() > fb::OrderType::MAX) return std::nullopt;
  OrderState s;
  s.status = static_cast<Status>(p->status());
  s.order_type = static_cast<OrderType>(p->order_type());
  const auto in = token_of(p->input_token()), out = token_of(p->output_token());
  if (!in || !out) return std::nullopt;
  s.input_token = *in;
  s.output_token = *out;
  s.amount_in = Amount{p->amount_in()};
  s.slippage_bps = p->slippage_bps();
  s.attempt = p->attempt();
  if (p->has_venue()) s.venue = from_fb(p->venue());
  s.expected_out = Amount{p->expected_out()};
  s.min_out = Amount{p->min_out()};
  s.tx_id = str(p->tx_id());
  s.tx_last_valid_at = TimestampNs{p->tx_last_valid_at_ns()};
  s.amount_out = Amount{p->amount_out()};
  s.last_error = str(p->last_error());
  s.retry_at = TimestampNs{p->retry_at_ns()};
  s.created = TimestampNs{p->created_ns()};
  s.updated = TimestampNs{p->updated_ns()};
  s.idempotency_key = str(p->idempotency_key());
  s.retry_floor = p->retry_floor();
  s.dismissed = p->dismissed();
  const auto owner = owner_of(p->owner_id(), p->owner());
  if (!owner) return std::nullopt;
  s.owner = *owner;
  s.min_amount_out = Amount{p->min_amount_out()};
  s.expires_at = TimestampNs{p->expires_at_ns()};
  s.triggered_at = TimestampNs{p->triggered_at_ns()};
  s.checks = SniperChecks{p->require_mint_renounced(), p->require_no_freeze(), Amount{p->min_liquidity()}};
  s.launches_judged = p->launches_judged();
  if (p->legs() != nullptr) {
    for (const auto* l : *p->legs()) {
      if (l->leg() == nullptr) return std::nullopt;
      s.legs.push_back(LegState{leg_of(*l->leg()), str(l->tx_id()), l->landed(), l->settled(), Amount{l->amount_out()}});
    }
  }
  s.recurring = RecurringTerms{p->slices(), p->interval_s(), p->min_price_e12(), p->max_price_e12(), p->catch_up()};
  s.first_due = TimestampNs{p->first_due_ns()};
  if (p->slice_states() != nullptr) {
    for (const auto* sl : *p->slice_states()) {
      s.slices.push_back(
          SliceState{*owner_of(sl->child(), nullptr), Amount{sl->amount_in()}, TimestampNs{sl->due_at_ns()}});
    }
  }
  const auto parent = owner_of(p->parent_id(), nullptr);
  if (!parent) return std::nullopt;
  s.parent = *parent;
  s.slice = p->slice();
  return s;
}

}  // namespace oee::core
