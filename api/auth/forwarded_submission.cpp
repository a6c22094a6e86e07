#include "api/auth/forwarded_submission.h"

#include <variant>

#include <fmt/format.h>

#include "core/domain/order_events.h"
#include "core/wire/event_codec.h"

namespace oee::api {

std::string check_forwarded_submission(const KeyRing& keys, const eventlog::Record& record) {
  if (record.type != static_cast<std::uint8_t>(core::EventType::submitted)) {
    return fmt::format("only a new order's submission may be forwarded, not an event of type {}", record.type);
  }
  const auto event = core::decode_event(record.type, record.payload);
  if (!event || !std::holds_alternative<core::OrderSubmitted>(*event)) return "its submission does not decode";
  const auto& submitted = std::get<core::OrderSubmitted>(*event);
  if (submitted.parent) return "a recurring order's slice is made by its parent's owner, never forwarded";
  // An order with no owner is the admin key's (or made with authentication
  // off), which no key set can vouch for: docs/security.md, cluster trust.
  if (!submitted.owner) return {};
  const auto key = keys.get(*submitted.owner);
  if (!key) return fmt::format("its API key {} is unknown to this node", submitted.owner->str());
  if (!key->live_at(TimestampNs::now())) return fmt::format("its API key {} is revoked or expired", key->id.str());
  if (!key->scopes.has(core::Scope::orders_write)) {
    return fmt::format("its API key {} may not submit orders", key->id.str());
  }
  return {};
}

}  // namespace oee::api
