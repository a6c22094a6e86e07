#include "api/auth/access.h"

#include "api/auth/key_secret.h"

namespace oee::api {

std::string_view auth_failure_name(AuthFailure f) {
  switch (f) {
    case AuthFailure::missing: return "missing";
    case AuthFailure::malformed: return "malformed";
    case AuthFailure::unknown: return "unknown";
    case AuthFailure::revoked: return "revoked";
    case AuthFailure::expired: return "expired";
    case AuthFailure::unavailable: return "unavailable";
    case AuthFailure::ticket: return "ticket";
  }
  return "unknown";
}

std::string_view auth_failure_message(AuthFailure f) {
  switch (f) {
    case AuthFailure::missing: return "this request needs an API key: Authorization: Bearer <key>";
    case AuthFailure::malformed: return "the Authorization header is not 'Bearer <key>'";
    case AuthFailure::unknown: return "the API key is not known";
    case AuthFailure::revoked: return "the API key has been revoked";
    case AuthFailure::expired: return "the API key has expired";
    case AuthFailure::unavailable: return "the API keys are not known here yet; try again in a moment";
    case AuthFailure::ticket:
      return "the WebSocket ticket is not known here, was used already or has expired: ask POST /api/ws-ticket for "
             "another, on this server";
  }
  return "the API key is not known";
}

Authenticator::Authenticator(std::string_view admin_key, KeyRing& ring, std::string_view metrics_token)
    : admin_(hash_secret(admin_key)), ring_(&ring), tickets_(std::make_shared<WsTickets>()) {
  if (!metrics_token.empty()) metrics_ = hash_secret(metrics_token);
}

namespace {

// RFC 6750: the scheme is case-insensitive, then one or more spaces.
std::optional<std::string_view> bearer_token(std::string_view header) {
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if ((header[i] | 0x20) != kScheme[i]) return std::nullopt;
  }
  std::string_view rest = header.substr(kScheme.size());
  if (rest.front() != ' ') return std::nullopt;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  if (rest.empty() || rest.find(' ') != std::string_view::npos) return std::nullopt;
  return rest;
}

}  // namespace

boost::system::result<Principal, AuthFailure> Authenticator::authenticate(std::string_view authorization,
                                                                         std::string_view access_token,
                                                                         TimestampNs now) const {
  if (!enabled()) return Principal::anyone();
  std::string_view presented = access_token;
  if (!authorization.empty()) {
    const auto token = bearer_token(authorization);
    if (!token) return AuthFailure::malformed;
    presented = *token;
  }
  if (presented.empty()) return AuthFailure::missing;
  const core::KeyHash hash = hash_secret(presented);
  if (same_hash(hash, admin_)) return Principal{Principal::Kind::admin, {}, core::Scopes::all(), {}, {}};
  if (metrics_ && same_hash(hash, *metrics_)) return Principal{Principal::Kind::scraper, {}, {}, {}, {}};
  const auto key = ring_->find(hash);
  if (!key) return ring_->complete() ? AuthFailure::unknown : AuthFailure::unavailable;
  if (key->revoked_at) return AuthFailure::revoked;
  if (!key->live_at(now)) return AuthFailure::expired;
  ring_->touch(key->id, now);
  return key_principal(*key);
}

Principal Authenticator::key_principal(const core::ApiKey& key) const {
  Principal out{Principal::Kind::key, key.id, key.scopes, key.rate_limit, key.expires_at, key.id, key.rate_limit};
  if (key.created_by) {
    out.tree = ring_->tree_of(key.id);
    if (const auto root = ring_->get(out.tree)) out.tree_rate_limit = root->rate_limit;
  }
  return out;
}

std::optional<WsTickets::Issued> Authenticator::issue_ticket(const Principal& who, TimestampNs now) const {
  if (!enabled()) return std::nullopt;
  if (who.kind == Principal::Kind::admin) return tickets_->issue(WsTickets::Holder{}, now);
  if (who.kind == Principal::Kind::key) return tickets_->issue(WsTickets::Holder{who.key, who.tree}, now);
  return std::nullopt;
}

boost::system::result<Principal, AuthFailure> Authenticator::authenticate_ticket(std::string_view ticket,
                                                                                TimestampNs now) const {
  if (!enabled()) return Principal::anyone();
  const auto holder = tickets_->redeem(ticket, now);
  if (!holder) return AuthFailure::ticket;
  if (!holder->key) return Principal{Principal::Kind::admin, {}, core::Scopes::all(), {}, {}};
  // As the key stands now: revoked or expired since, the ticket is worth nothing.
  const auto key = ring_->get(*holder->key);
  if (!key) return AuthFailure::unknown;
  if (key->revoked_at) return AuthFailure::revoked;
  if (!key->live_at(now)) return AuthFailure::expired;
  ring_->touch(key->id, now);
  return key_principal(*key);
}

}  // namespace oee::api
