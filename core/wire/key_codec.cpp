#include "core/wire/key_codec.h"

#include <algorithm>

#include "core/wire/detail/flatbuffer_payload.h"
#include "schemas/key_events_generated.h"

namespace oee::core {

namespace {

using detail::finish;
using detail::verified_root;

std::optional<KeyEvent> decode_created(std::string_view payload) {
  const auto* p = verified_root<fb::ApiKeyCreated>(payload);
  if (p == nullptr || p->secret_sha256() == nullptr || p->secret_sha256()->size() != KeyHash{}.size()) {
    return std::nullopt;
  }
  ApiKeyCreated e;
  e.name = p->name() == nullptr ? std::string{} : p->name()->str();
  e.scopes = Scopes(p->scopes());
  std::copy(p->secret_sha256()->begin(), p->secret_sha256()->end(), e.hash.begin());
  e.rate_limit = RateLimit{p->per_second(), p->burst()};
  if (p->expires_at_ns() != 0) e.expires_at = TimestampNs{p->expires_at_ns()};
  if (const auto* by = p->created_by(); by != nullptr) {
    OrderId::Bytes creator{};
    if (by->size() != creator.size()) return std::nullopt;
    std::copy(by->begin(), by->end(), creator.begin());
    e.created_by = OrderId(creator);
  }
  return e;
}

}  // namespace

std::string encode_key_event(const KeyEvent& event) {
  flatbuffers::FlatBufferBuilder fbb(128);
  if (const auto* c = std::get_if<ApiKeyCreated>(&event)) {
    const auto name = fbb.CreateString(c->name);
    const auto hash = fbb.CreateVector(c->hash.data(), c->hash.size());
    const auto created_by =
        c->created_by ? fbb.CreateVector(c->created_by->bytes().data(), c->created_by->bytes().size())
                      : flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>>{};
    fbb.Finish(fb::CreateApiKeyCreated(fbb, name, c->scopes.bits(), hash, c->rate_limit.per_second,
                                       c->rate_limit.burst, c->expires_at ? c->expires_at->value : 0, created_by));
  } else {
    fbb.Finish(fb::CreateApiKeyRevoked(fbb));
  }
  return finish(fbb);
}

std::optional<KeyEvent> decode_key_event(std::uint8_t type, std::string_view payload) {
  switch (static_cast<KeyEventType>(type)) {
    case KeyEventType::created: return decode_created(payload);
    case KeyEventType::revoked:
      if (verified_root<fb::ApiKeyRevoked>(payload) == nullptr) return std::nullopt;
      return ApiKeyRevoked{};
  }
  return std::nullopt;
}

}  // namespace oee::core
