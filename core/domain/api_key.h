#pragma once
// API keys as the log keeps them: created with scopes, a rate limit and an
// expiry, revoked at once. The log holds only the hash of a key's secret;
// the secret is shown once, to whoever created the key.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "eventlog/types.h"

namespace oee::core {

/// A key's id is a UUID, as an order's is: the log files every record
/// under one.
using KeyId = OrderId;

enum class Scope : std::uint8_t { orders_write = 1, orders_read = 2, keys_admin = 4 };
inline constexpr std::array kScopes{Scope::orders_write, Scope::orders_read, Scope::keys_admin};

/// "orders:write", "orders:read", "keys:admin".
[[nodiscard]] std::string_view scope_name(Scope s);
[[nodiscard]] std::optional<Scope> parse_scope(std::string_view name);

/// A set of scopes, stored as their bits.
class Scopes {
 public:
  constexpr Scopes() = default;
  constexpr explicit Scopes(std::uint8_t bits) : bits_(bits & kAll) {}
  [[nodiscard]] static constexpr Scopes all() { return Scopes(kAll); }

  [[nodiscard]] constexpr bool has(Scope s) const { return (bits_ & static_cast<std::uint8_t>(s)) != 0; }
  constexpr void add(Scope s) { bits_ |= static_cast<std::uint8_t>(s); }
  [[nodiscard]] constexpr bool empty() const { return bits_ == 0; }
  [[nodiscard]] constexpr std::uint8_t bits() const { return bits_; }
  friend constexpr bool operator==(Scopes, Scopes) = default;

 private:
  static constexpr std::uint8_t kAll = 7;
  std::uint8_t bits_ = 0;
};

/// SHA-256 of a key's secret.
using KeyHash = std::array<std::uint8_t, 32>;

/// 64 lower-case hex digits: how a hash travels as text, and a secret's
/// random bytes are written.
[[nodiscard]] std::string to_hex(const KeyHash& bytes);
/// The inverse; nullopt for anything but 64 lower-case hex digits.
[[nodiscard]] std::optional<KeyHash> key_hash_from_hex(std::string_view text);

/// A token bucket: `burst` requests at once, refilled at `per_second`.
/// Zero in both: no limit.
struct RateLimit {
  std::uint32_t per_second = 0;
  std::uint32_t burst = 0;
  [[nodiscard]] constexpr bool unlimited() const { return per_second == 0 && burst == 0; }
  friend constexpr bool operator==(RateLimit, RateLimit) = default;
};

/// Values continue oee::fb::EventType after the order events.
enum class KeyEventType : std::uint8_t { created = 10, revoked = 11 };
/// "apiKeyCreated", "apiKeyRevoked": the type in messages and dumps.
[[nodiscard]] std::string_view key_event_name(KeyEventType type);

struct ApiKeyCreated {
  std::string name;
  Scopes scopes;
  KeyHash hash{};
  RateLimit rate_limit;
  std::optional<TimestampNs> expires_at;
  // The API key that created it; none: the admin key (and every key made
  // before keys recorded their creator).
  std::optional<KeyId> created_by;
};
struct ApiKeyRevoked {};

using KeyEvent = std::variant<ApiKeyCreated, ApiKeyRevoked>;

[[nodiscard]] KeyEventType type_of(const KeyEvent& e);
/// Whether a record of this type is a key's, not an order's.
[[nodiscard]] bool is_key_event(std::uint8_t type);

/// A key as its events leave it.
struct ApiKey {
  KeyId id;
  std::string name;
  Scopes scopes;
  KeyHash hash{};
  RateLimit rate_limit;
  std::optional<TimestampNs> expires_at;
  TimestampNs created_at;
  std::optional<TimestampNs> revoked_at;
  std::optional<KeyId> created_by;  // none: the admin key

  [[nodiscard]] bool live_at(TimestampNs now) const {
    return !revoked_at && (!expires_at || now < *expires_at);
  }
};

}  // namespace oee::core
