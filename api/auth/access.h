#pragma once
// Who a request is, and what it may do: the admin key, an API key with its
// scopes, or anyone (authentication off).

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/system/result.hpp>

#include "api/auth/key_ring.h"
#include "api/auth/ws_tickets.h"
#include "core/domain/api_key.h"

namespace oee::api {

/// Default-constructed: no one, who may do nothing and sees nothing.
struct Principal {
  /// `scraper`: the --metrics-token, which may read /metrics and nothing else.
  enum class Kind { nobody, anyone, admin, key, scraper };
  Kind kind = Kind::nobody;
  core::KeyId key;  // for Kind::key
  core::Scopes scopes;
  core::RateLimit rate_limit;
  std::optional<TimestampNs> expires_at;  // for Kind::key
  /// For a key: the root of its tree (KeyRing::tree_of; itself if the
  /// admin key made it), whose write bucket, recurring cap, ticket quota
  /// and key count it shares, and that root's rate limit.
  core::KeyId tree{};
  core::RateLimit tree_rate_limit{};

  /// Whoever calls while authentication is off: every scope, every order.
  [[nodiscard]] static Principal anyone() { return Principal{Kind::anyone, {}, core::Scopes::all(), {}, {}}; }

  [[nodiscard]] bool may(core::Scope s) const { return scopes.has(s); }
  /// The admin key, and anyone while authentication is off, see every
  /// order; an API key sees the orders it submitted, whatever its scopes.
  [[nodiscard]] bool sees_everything() const { return kind == Kind::anyone || kind == Kind::admin; }
  /// The owner recorded on the orders it submits: the key's id, or none.
  [[nodiscard]] std::optional<core::KeyId> owner() const {
    return kind == Kind::key ? std::optional(key) : std::nullopt;
  }
  [[nodiscard]] bool sees(const std::optional<core::KeyId>& order_owner) const {
    return sees_everything() || (kind == Kind::key && order_owner == key);
  }
  /// What a list of orders shows it: every order (none), or the orders of
  /// this owner. Whoever is not a key gets the nil id, which owns nothing.
  [[nodiscard]] std::optional<core::KeyId> lists_orders_of() const {
    if (sees_everything()) return std::nullopt;
    return kind == Kind::key ? key : core::KeyId{};
  }
};

/// `unavailable`: a gateway that has not yet learnt the keys from the core;
/// `ticket`: a WebSocket ticket unknown here, spent or expired.
enum class AuthFailure { missing, malformed, unknown, revoked, expired, unavailable, ticket };
inline constexpr std::array kAuthFailures{AuthFailure::missing, AuthFailure::malformed, AuthFailure::unknown,
                                          AuthFailure::revoked,  AuthFailure::expired,   AuthFailure::unavailable,
                                          AuthFailure::ticket};
/// "missing", "malformed", "unknown", "revoked", "expired", "unavailable",
/// "ticket": the reason label of oee_auth_failures_total.
[[nodiscard]] std::string_view auth_failure_name(AuthFailure f);
/// What a 401 says about it.
[[nodiscard]] std::string_view auth_failure_message(AuthFailure f);

class Authenticator {
 public:
  /// Authentication off: everyone is Principal::anyone().
  Authenticator() = default;
  /// On: the admin key and the keys in `ring`, whose last use it notes;
  /// and `metrics_token`, if not empty, for /metrics alone.
  Authenticator(std::string_view admin_key, KeyRing& ring, std::string_view metrics_token = {});

  [[nodiscard]] bool enabled() const { return ring_ != nullptr; }

  /// From an Authorization header ("Bearer <key>") or, where a browser
  /// cannot set one (a WebSocket), an access_token query parameter.
  [[nodiscard]] boost::system::result<Principal, AuthFailure> authenticate(std::string_view authorization,
                                                                          std::string_view access_token,
                                                                          TimestampNs now) const;

  /// A WebSocket ticket for `who` (the admin key or an API key), good for
  /// one upgrade within WsTickets::kLifetime; nothing while its key's tree
  /// holds WsTickets::kPerKeyTree unspent, or for whoever else asks.
  [[nodiscard]] std::optional<WsTickets::Issued> issue_ticket(const Principal& who, TimestampNs now) const;
  /// Spends a ticket: who it was issued to, as that key stands now.
  [[nodiscard]] boost::system::result<Principal, AuthFailure> authenticate_ticket(std::string_view ticket,
                                                                                 TimestampNs now) const;

 private:
  core::KeyHash admin_{};
  std::optional<core::KeyHash> metrics_;
  KeyRing* ring_ = nullptr;
  std::shared_ptr<WsTickets> tickets_;
  [[nodiscard]] Principal key_principal(const core::ApiKey& key) const;
};

}  // namespace oee::api
