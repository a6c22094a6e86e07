#pragma once
// The order events' stored fields and their domain values, both ways: what
// the event codec and the snapshot codec share.

#include <optional>
#include <string>
#include <vector>

#include "core/domain/order.h"
#include "schemas/order_events_generated.h"

namespace oee::core::detail {

[[nodiscard]] fb::Venue to_fb(Venue v);
[[nodiscard]] Venue from_fb(fb::Venue v);
[[nodiscard]] std::string str(const flatbuffers::String* s);

/// A stored symbol: "" is no token yet; one not listed is a new token (a
/// sniper's target, a launched token); one that could not be a symbol does
/// not decode.
[[nodiscard]] std::optional<TokenId> token_of(const flatbuffers::String* s);
/// A stored owner: its 16 bytes, or in records from before them its text;
/// neither is none, and text that is not a UUID does not decode.
[[nodiscard]] std::optional<std::optional<OrderId>> owner_of(const fb::Uuid* id, const flatbuffers::String* text);
[[nodiscard]] std::optional<fb::Uuid> owner_field(const std::optional<OrderId>& owner);

[[nodiscard]] std::vector<flatbuffers::Offset<fb::Quote>> quote_tables(flatbuffers::FlatBufferBuilder& fbb,
                                                                       const std::vector<Quote>& quotes);
[[nodiscard]] flatbuffers::Offset<fb::Quote> quote_table(flatbuffers::FlatBufferBuilder& fbb,
                                                         const std::optional<Quote>& q);
[[nodiscard]] std::optional<Quote> quote_of(const fb::Quote* q, Amount amount_in);
[[nodiscard]] std::vector<Quote> quotes_of(const flatbuffers::Vector<flatbuffers::Offset<fb::Quote>>* stored,
                                           Amount amount_in);

[[nodiscard]] flatbuffers::Offset<fb::LaunchSeen> launch_table(flatbuffers::FlatBufferBuilder& fbb, const LaunchSeen& l);
[[nodiscard]] LaunchSeen launch_of(const fb::LaunchSeen& l);
[[nodiscard]] std::vector<LaunchSeen> launches_of(
    const flatbuffers::Vector<flatbuffers::Offset<fb::LaunchSeen>>* stored);

[[nodiscard]] flatbuffers::Offset<fb::Leg> leg_table(flatbuffers::FlatBufferBuilder& fbb, const Leg& l);
[[nodiscard]] Leg leg_of(const fb::Leg& l);
[[nodiscard]] flatbuffers::Offset<fb::LegFill> fill_table(flatbuffers::FlatBufferBuilder& fbb, const LegFill& f);
[[nodiscard]] LegFill fill_of(const fb::LegFill& f);
[[nodiscard]] flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::LegFill>>> fill_tables(
    flatbuffers::FlatBufferBuilder& fbb, const std::vector<LegFill>& fills);
[[nodiscard]] std::vector<LegFill> fills_of(const flatbuffers::Vector<flatbuffers::Offset<fb::LegFill>>* stored);

/// A vector field, absent when empty (what events without one store).
template <class T>
flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<T>>> tables_or_none(
    flatbuffers::FlatBufferBuilder& fbb, const std::vector<flatbuffers::Offset<T>>& tables) {
  return tables.empty() ? 0 : fbb.CreateVector(tables);
}

}  // namespace oee::core::detail
