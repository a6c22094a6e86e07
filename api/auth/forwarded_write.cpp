#include "api/auth/forwarded_write.h"

#include <variant>

#include <fmt/format.h>

#include "core/domain/order_events.h"
#include "core/wire/event_codec.h"
#include "core/wire/key_codec.h"

namespace oee::api {

namespace {

// Empty if `id` names a key that is live and has `scope`.
std::string check_key(const KeyRing& keys, const core::KeyId& id, core::Scope scope, std::string_view to) {
  const auto key = keys.get(id);
  if (!key) return fmt::format("its API key {} is unknown to this node", id.str());
  if (!key->live_at(TimestampNs::now())) return fmt::format("its API key {} is revoked or expired", key->id.str());
  if (!key->scopes.has(scope)) return fmt::format("its API key {} may not {}", key->id.str(), to);
  return {};
}

std::string check_submission(const KeyRing& keys, const eventlog::Record& record) {
  if (record.type != static_cast<std::uint8_t>(core::EventType::submitted)) {
    return fmt::format("an order's first event must be its submission, not an event of type {}", record.type);
  }
  const auto event = core::decode_event(record.type, record.payload);
  if (!event || !std::holds_alternative<core::OrderSubmitted>(*event)) return "its submission does not decode";
  const auto& submitted = std::get<core::OrderSubmitted>(*event);
  if (submitted.parent) return "a recurring order's slice is made by its parent's owner, never forwarded";
  // An order with no owner is the admin key's (or made with authentication
  // off), which no key set can vouch for: docs/security.md, cluster trust.
  if (!submitted.owner) return {};
  return check_key(keys, *submitted.owner, core::Scope::orders_write, "submit orders");
}

std::string check_key_event(const KeyRing& keys, const eventlog::Record& record) {
  const auto event = core::decode_key_event(record.type, record.payload);
  if (!event) return "its API key event does not decode";
  const auto* created = std::get_if<core::ApiKeyCreated>(&*event);
  // A key made by the admin key names no maker, as an order of the admin's
  // names no owner: no key set can vouch for it (cluster trust).
  if (created == nullptr || !created->created_by) return {};
  if (auto why = check_key(keys, *created->created_by, core::Scope::keys_admin, "make keys"); !why.empty()) return why;
  const auto maker = keys.get(*created->created_by);
  if ((created->scopes.bits() & ~maker->scopes.bits()) != 0) return "it has scopes its maker does not have";
  return {};
}

}  // namespace

std::string check_forwarded_write(const KeyRing& keys, const eventlog::Record& record, bool begins) {
  if (begins) return check_submission(keys, record);
  if (core::is_key_event(record.type)) return check_key_event(keys, record);
  switch (static_cast<core::EventType>(record.type)) {
    case core::EventType::cancelled:
    case core::EventType::amended:
    case core::EventType::watch_amended:
    case core::EventType::order_retried:
    case core::EventType::dead_letter_dismissed:
      if (!core::decode_event(record.type, record.payload)) return "it does not decode";
      return {};
    default:
      return fmt::format("an event of type {} is its order's owner's to make, never another node's", record.type);
  }
}

}  // namespace oee::api
