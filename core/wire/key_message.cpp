#include "core/wire/key_message.h"

#include <boost/json.hpp>

namespace oee::core {

namespace json = boost::json;

namespace {

template <class T>
std::optional<T> unsigned_field(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (v == nullptr) return std::nullopt;
  if (v->is_uint64()) return static_cast<T>(v->get_uint64());
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<T>(v->get_int64());
  return std::nullopt;
}

std::optional<std::string_view> string_field(const json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return std::string_view(v->get_string());
}

}  // namespace

json::object key_message(const KeyMessage& m) {
  json::object o;
  o["type"] = key_event_name(type_of(m.event));
  o["seq"] = m.seq.value;
  o["keyId"] = m.id.str();
  o["at"] = m.at.value;
  if (const auto* c = std::get_if<ApiKeyCreated>(&m.event)) {
    o["name"] = c->name;
    o["scopes"] = c->scopes.bits();
    o["hash"] = to_hex(c->hash);
    o["perSecond"] = c->rate_limit.per_second;
    o["burst"] = c->rate_limit.burst;
    if (c->expires_at) o["expiresAt"] = c->expires_at->value;
    if (c->created_by) o["createdBy"] = c->created_by->str();
  }
  return o;
}

std::optional<KeyMessage> parse_key_message(const json::object& o) {
  const auto type = string_field(o, "type");
  const auto id_text = string_field(o, "keyId");
  const auto at = unsigned_field<std::int64_t>(o, "at");
  const auto seq = unsigned_field<std::uint64_t>(o, "seq");
  if (!type || !id_text || !at || !seq) return std::nullopt;
  const auto id = OrderId::parse(*id_text);
  if (!id) return std::nullopt;
  KeyMessage m{*id, TimestampNs{*at}, ApiKeyRevoked{}, Seq{*seq}};
  if (*type == key_event_name(KeyEventType::revoked)) return m;
  if (*type != key_event_name(KeyEventType::created)) return std::nullopt;
  const auto name = string_field(o, "name");
  const auto scopes = unsigned_field<std::uint8_t>(o, "scopes");
  const auto hash_text = string_field(o, "hash");
  const auto per_second = unsigned_field<std::uint32_t>(o, "perSecond");
  const auto burst = unsigned_field<std::uint32_t>(o, "burst");
  if (!name || !scopes || !hash_text || !per_second || !burst) return std::nullopt;
  const auto hash = key_hash_from_hex(*hash_text);
  if (!hash) return std::nullopt;
  ApiKeyCreated created{std::string(*name), Scopes(*scopes), *hash, RateLimit{*per_second, *burst}, std::nullopt,
                        std::nullopt};
  if (o.contains("expiresAt")) {
    const auto expires = unsigned_field<std::int64_t>(o, "expiresAt");
    if (!expires) return std::nullopt;
    created.expires_at = TimestampNs{*expires};
  }
  if (o.contains("createdBy")) {
    const auto by = string_field(o, "createdBy");
    const auto creator = by ? OrderId::parse(*by) : std::nullopt;
    if (!creator) return std::nullopt;
    created.created_by = *creator;
  }
  m.event = std::move(created);
  return m;
}

std::vector<KeyMessage> key_messages(const ApiKey& key) {
  std::vector<KeyMessage> out;
  out.push_back(KeyMessage{key.id, key.created_at,
                           ApiKeyCreated{key.name, key.scopes, key.hash, key.rate_limit, key.expires_at, key.created_by},
                           Seq{0}});
  if (key.revoked_at) out.push_back(KeyMessage{key.id, *key.revoked_at, ApiKeyRevoked{}, Seq{0}});
  return out;
}

}  // namespace oee::core
