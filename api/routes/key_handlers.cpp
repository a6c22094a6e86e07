#include "api/routes/key_handlers.h"

#include <algorithm>
#include <deque>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/auth/key_log.h"
#include "api/auth/key_secret.h"
#include "api/http/responses.h"
#include "api/http/strict_json.h"
#include "api/routes/key_request.h"
#include "core/wire/key_message.h"
#include "projections/order_rows.h"  // rfc3339

namespace oee::api {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::value time_or_null(const std::optional<TimestampNs>& t) {
  return t ? json::value(projections::rfc3339(*t)) : json::value(nullptr);
}

json::object key_json(const core::ApiKey& k, std::optional<TimestampNs> last_used) {
  json::array scopes;
  for (const core::Scope s : core::kScopes) {
    if (k.scopes.has(s)) scopes.emplace_back(core::scope_name(s));
  }
  json::value rate = nullptr;
  if (!k.rate_limit.unlimited()) {
    rate = json::object{{"perSecond", k.rate_limit.per_second}, {"burst", k.rate_limit.burst}};
  }
  return json::object{{"id", k.id.str()},
                      {"name", k.name},
                      {"scopes", std::move(scopes)},
                      {"rateLimit", std::move(rate)},
                      {"expiresAt", time_or_null(k.expires_at)},
                      {"createdAt", projections::rfc3339(k.created_at)},
                      {"revokedAt", time_or_null(k.revoked_at)},
                      {"createdBy", k.created_by ? json::value(k.created_by->str()) : json::value(nullptr)},
                      {"lastUsedAt", time_or_null(last_used)}};
}

// The keys `root` created, the keys they created, and so on, nearest first.
std::vector<core::KeyId> keys_created_under(const std::vector<core::ApiKey>& keys, const core::KeyId& root) {
  std::unordered_map<core::KeyId, std::vector<core::KeyId>, OrderIdHash> children;
  for (const auto& k : keys) {
    if (k.created_by) children[*k.created_by].push_back(k.id);
  }
  std::vector<core::KeyId> found;
  std::unordered_set<core::KeyId, OrderIdHash> seen{root};
  std::deque<core::KeyId> next{root};
  while (!next.empty()) {
    const auto it = children.find(next.front());
    next.pop_front();
    if (it == children.end()) continue;
    for (const auto& child : it->second) {
      if (!seen.insert(child).second) continue;
      found.push_back(child);
      next.push_back(child);
    }
  }
  return found;
}

}  // namespace

asio::awaitable<HttpResponse> create_key(App& app, const HttpRequest& req) {
  if (!app.auth.enabled()) {
    // A key made while anyone may do anything would be anyone's.
    co_return error_response(ApiError{409, "auth_off", "API keys need authentication on: start with --admin-key", ""});
  }
  if (!is_json_content_type(req.content_type)) {
    co_return error_response(
        ApiError{415, "unsupported_media_type", "send the key as JSON with Content-Type: application/json", ""});
  }
  const auto body = parse_json_strict(req.body);
  if (!body) co_return error_response(body.error());
  auto parsed = parse_key_request(*body, TimestampNs::now());
  if (!parsed) co_return error_response(parsed.error());
  const NewSecret secret = new_key_secret();
  auto made = key_made_by(req.principal, std::move(*parsed), secret.hash);
  if (!made) co_return error_response(made.error());
  if (const auto& who = req.principal; who.kind == Principal::Kind::key && app.max_keys_per_key != 0 &&
                                        app.keys.made_under(who.tree) >= app.max_keys_per_key) {
    co_return error_response(ApiError{
        429, "too_many_keys",
        fmt::format("this key's tree (the key the admin key made and every key made under it) holds {} made keys, "
                    "revoked ones included: as many as --max-keys-per-key allows; ask the operator to raise it, or "
                    "for a new key",
                    app.max_keys_per_key),
        ""});
  }
  const core::KeyId id = core::KeyId::random();
  const core::KeyEvent created = std::move(*made);
  const auto appended = co_await append_key_event(app.log, id, created);  // named: [gcc12-coro]
  if (!appended) co_return log_unavailable(app.log, appended.error());
  const auto key = app.keys.get(id);
  if (!key) co_return log_unavailable(app.log, make_error_code(eventlog::Errc::unavailable));
  json::object answer = key_json(*key, std::nullopt);
  answer["key"] = secret.text;
  HttpResponse response = json_response(201, answer);
  response.headers.emplace_back("Cache-Control", "no-store");  // the secret, shown once
  co_return response;
}

HttpResponse list_keys(const App& app) {
  json::array keys;
  for (const auto& k : app.keys.list()) keys.push_back(key_json(k, app.keys.last_used(k.id)));
  const std::size_t count = keys.size();
  return json_response(200, json::object{{"keys", std::move(keys)}, {"count", count}});
}

HttpResponse list_key_events(const App& app) {
  json::array events;
  for (const auto& k : app.keys.list()) {
    for (const auto& m : core::key_messages(k)) events.push_back(core::key_message(m));
  }
  return json_response(200, json::object{{"events", std::move(events)}});
}

asio::awaitable<HttpResponse> revoke_key(App& app, const core::KeyId& id, bool cascade, const Principal& caller) {
  const auto key = app.keys.get(id);
  if (!key) co_return not_found("no API key has this id", "id");
  if (caller.kind == Principal::Kind::key && id != caller.key) {
    const auto mine = keys_created_under(app.keys.list(), caller.key);
    if (std::find(mine.begin(), mine.end(), id) == mine.end()) {
      co_return error_response(ApiError{403, "not_made_under_you",
                                        "a key with keys:admin may revoke only itself and the keys made under it "
                                        "(directly or through keys it made); the admin key revokes any",
                                        "id"});
    }
  }
  // The key first: once it is revoked it can make no more while its
  // descendants are revoked.
  std::vector<core::KeyId> revoking{id};
  if (cascade) {
    const auto descendants = keys_created_under(app.keys.list(), id);
    revoking.insert(revoking.end(), descendants.begin(), descendants.end());
  }
  json::array revoked_now;
  for (const core::KeyId& k : revoking) {
    // Revoking twice changes nothing: the first revocation stands.
    if (const auto known = app.keys.get(k); !known || known->revoked_at) continue;
    const core::KeyEvent revoked = core::ApiKeyRevoked{};
    const auto appended = co_await append_key_event(app.log, k, revoked);  // named: [gcc12-coro]
    if (!appended) co_return log_unavailable(app.log, appended.error());
    if (k != id) revoked_now.emplace_back(k.str());
  }
  json::object answer = key_json(*app.keys.get(id), app.keys.last_used(id));
  if (cascade) answer["revokedWithIt"] = std::move(revoked_now);
  co_return json_response(200, answer);
}

HttpResponse issue_ws_ticket(const App& app, const Principal& caller) {
  if (!app.auth.enabled()) {
    return error_response(ApiError{409, "auth_off",
                                   "authentication is off: open the WebSocket without a ticket", ""});
  }
  const auto issued = app.auth.issue_ticket(caller, TimestampNs::now());
  if (!issued) {
    HttpResponse r = error_response(ApiError{
        429, "too_many_tickets",
        caller.kind == Principal::Kind::admin
            ? fmt::format("the admin key holds {} unspent WebSocket tickets; open sockets with them or wait for them "
                          "to expire (30 s)",
                          WsTickets::kAdminOutstanding)
            : fmt::format("this key and the keys made under the same key as it hold {} unspent WebSocket tickets; "
                          "open sockets with them or wait for them to expire (30 s)",
                          WsTickets::kPerKeyTree),
        ""});
    r.headers.emplace_back("Retry-After", std::to_string(WsTickets::kLifetime.count()));
    return r;
  }
  json::object body{{"ticket", issued->text},
                    {"expiresAt", projections::rfc3339(issued->expires_at)},
                    {"use", "open /ws?ticket=<ticket> (or another stream path) on this server within 30 s; one "
                            "WebSocket, once"}};
  HttpResponse r{201, json::serialize(body), "application/json", {}};
  r.headers.emplace_back("Cache-Control", "no-store");
  return r;
}

}  // namespace oee::api
