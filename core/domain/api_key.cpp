#include "core/domain/api_key.h"

namespace oee::core {

std::string_view scope_name(Scope s) {
  switch (s) {
    case Scope::orders_write: return "orders:write";
    case Scope::orders_read: return "orders:read";
    case Scope::keys_admin: return "keys:admin";
  }
  return "";
}

std::optional<Scope> parse_scope(std::string_view name) {
  for (const Scope s : kScopes) {
    if (scope_name(s) == name) return s;
  }
  return std::nullopt;
}

KeyEventType type_of(const KeyEvent& e) {
  return std::holds_alternative<ApiKeyCreated>(e) ? KeyEventType::created : KeyEventType::revoked;
}

bool is_key_event(std::uint8_t type) {
  return type == static_cast<std::uint8_t>(KeyEventType::created) ||
         type == static_cast<std::uint8_t>(KeyEventType::revoked);
}

}  // namespace oee::core
