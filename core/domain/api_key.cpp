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

std::string to_hex(const KeyHash& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const std::uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

std::optional<KeyHash> key_hash_from_hex(std::string_view text) {
  KeyHash h{};
  if (text.size() != h.size() * 2) return std::nullopt;
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (std::size_t i = 0; i < h.size(); ++i) {
    const int hi = digit(text[2 * i]), lo = digit(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    h[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return h;
}

std::string_view key_event_name(KeyEventType type) {
  return type == KeyEventType::created ? "apiKeyCreated" : "apiKeyRevoked";
}

KeyEventType type_of(const KeyEvent& e) {
  return std::holds_alternative<ApiKeyCreated>(e) ? KeyEventType::created : KeyEventType::revoked;
}

bool is_key_event(std::uint8_t type) {
  return type == static_cast<std::uint8_t>(KeyEventType::created) ||
         type == static_cast<std::uint8_t>(KeyEventType::revoked);
}

}  // namespace oee::core
