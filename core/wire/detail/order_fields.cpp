#include "core/wire/detail/order_fields.h"

#include <cstring>

namespace oee::core::detail {

using flatbuffers::FlatBufferBuilder;

fb::Venue to_fb(Venue v) { return static_cast<fb::Venue>(v); }
Venue from_fb(fb::Venue v) { return v == fb::Venue::Meteora ? Venue::meteora : Venue::raydium; }

std::string str(const flatbuffers::String* s) { return s == nullptr ? std::string{} : s->str(); }

// A stored symbol: "" is no token yet; one not listed is a new token (a
// sniper's target, a launched token); one that could not be a symbol does
// not decode.
std::optional<TokenId> token_of(const flatbuffers::String* s) {
  if (s == nullptr || s->size() == 0) return TokenId{};
  return TokenId::name(std::string_view(s->c_str(), s->size()));
}

// A stored owner: its 16 bytes, or in records from before them its text;
// neither is none, and text that is not a UUID does not decode.
std::optional<std::optional<OrderId>> owner_of(const fb::Uuid* id, const flatbuffers::String* text) {
  if (id != nullptr) {
    OrderId::Bytes bytes{};
    std::memcpy(bytes.data(), id->bytes()->data(), bytes.size());
    return std::optional<OrderId>(OrderId(bytes));
  }
  if (text == nullptr || text->size() == 0) return std::optional<OrderId>{};
  auto parsed = OrderId::parse(text->string_view());
  if (!parsed) return std::nullopt;
  return std::optional<OrderId>(*parsed);
}

std::optional<fb::Uuid> owner_field(const std::optional<OrderId>& owner) {
  if (!owner) return std::nullopt;
  return fb::Uuid(flatbuffers::span<const std::uint8_t, 16>(owner->bytes().data(), 16));
}

std::vector<flatbuffers::Offset<fb::Quote>> quote_tables(FlatBufferBuilder& fbb, const std::vector<Quote>& quotes) {
  std::vector<flatbuffers::Offset<fb::Quote>> out;
  for (const auto& q : quotes) {
    out.push_back(fb::CreateQuote(fbb, to_fb(q.venue), q.amount_out.base, q.fee_bps, q.price_impact_bps,
                                  q.reserve_in.base, q.reserve_out.base));
  }
  return out;
}

flatbuffers::Offset<fb::Quote> quote_table(FlatBufferBuilder& fbb, const std::optional<Quote>& q) {
  if (!q) return 0;
  return fb::CreateQuote(fbb, to_fb(q->venue), q->amount_out.base, q->fee_bps, q->price_impact_bps, q->reserve_in.base,
                         q->reserve_out.base);
}

std::optional<Quote> quote_of(const fb::Quote* q, Amount amount_in) {
  if (q == nullptr) return std::nullopt;
  return Quote{from_fb(q->venue()), amount_in, Amount{q->amount_out()}, q->fee_bps(), q->price_impact_bps(),
               Amount{q->reserve_in()}, Amount{q->reserve_out()}};
}

flatbuffers::Offset<fb::LaunchSeen> launch_table(FlatBufferBuilder& fbb, const LaunchSeen& l) {
  return fb::CreateLaunchSeen(fbb, to_fb(l.venue), l.launch, l.token_reserve.base, l.quote_reserve.base,
                              l.mint_renounced, l.freeze_authority);
}

LaunchSeen launch_of(const fb::LaunchSeen& l) {
  return LaunchSeen{from_fb(l.venue()),           l.launch(),          Amount{l.token_reserve()},
                    Amount{l.quote_reserve()},    l.mint_renounced(),  l.freeze_authority()};
}

std::vector<Quote> quotes_of(const flatbuffers::Vector<flatbuffers::Offset<fb::Quote>>* stored, Amount amount_in) {
  std::vector<Quote> out;
  if (stored == nullptr) return out;
  for (const auto* q : *stored) {
    out.push_back(Quote{from_fb(q->venue()), amount_in, Amount{q->amount_out()}, q->fee_bps(), q->price_impact_bps(),
                        Amount{q->reserve_in()}, Amount{q->reserve_out()}});
  }
  return out;
}

std::vector<LaunchSeen> launches_of(const flatbuffers::Vector<flatbuffers::Offset<fb::LaunchSeen>>* stored) {
  std::vector<LaunchSeen> out;
  if (stored == nullptr) return out;
  for (const auto* l : *stored) out.push_back(launch_of(*l));
  return out;
}

flatbuffers::Offset<fb::Leg> leg_table(FlatBufferBuilder& fbb, const Leg& l) {
  return fb::CreateLeg(fbb, to_fb(l.venue), l.amount_in.base, l.expected_out.base, l.min_out.base);
}

Leg leg_of(const fb::Leg& l) {
  return Leg{from_fb(l.venue()), Amount{l.amount_in()}, Amount{l.expected_out()}, Amount{l.min_out()}};
}

flatbuffers::Offset<fb::LegFill> fill_table(FlatBufferBuilder& fbb, const LegFill& f) {
  return fb::CreateLegFillDirect(fbb, to_fb(f.venue), f.amount_in.base, f.amount_out.base, f.tx_id.c_str());
}

LegFill fill_of(const fb::LegFill& f) {
  return LegFill{from_fb(f.venue()), Amount{f.amount_in()}, Amount{f.amount_out()}, str(f.tx_id())};
}

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::LegFill>>> fill_tables(FlatBufferBuilder& fbb,
                                                                                       const std::vector<LegFill>& fills) {
  std::vector<flatbuffers::Offset<fb::LegFill>> out;
  for (const auto& f : fills) out.push_back(fill_table(fbb, f));
  return tables_or_none(fbb, out);
}

std::vector<LegFill> fills_of(const flatbuffers::Vector<flatbuffers::Offset<fb::LegFill>>* stored) {
  std::vector<LegFill> out;
  if (stored == nullptr) return out;
  for (const auto* f : *stored) out.push_back(fill_of(*f));
  return out;
}

}  // namespace oee::core::detail
