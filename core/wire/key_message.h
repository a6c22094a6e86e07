#pragma once
// API key events as JSON messages, for processes that hold no log: the
// publisher sends each one through Redis (oee:keys) and the core lists them
// (GET /api/keys/events), so a gateway knows the keys the core knows. They
// carry a key's hash, never its secret.

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/domain/api_key.h"

namespace oee::core {

struct KeyMessage {
  KeyId id;
  TimestampNs at;
  KeyEvent event;
  Seq seq{0};  // 0 when the message does not come from one log record
};

/// {"type":"apiKeyCreated"|"apiKeyRevoked","seq","keyId","at", and for a
/// creation "name","scopes","hash" (hex),"perSecond","burst","expiresAt"}.
[[nodiscard]] boost::json::object key_message(const KeyMessage& m);
[[nodiscard]] std::optional<KeyMessage> parse_key_message(const boost::json::object& o);

/// A key's state as the events that make it: created, and revoked if it is.
[[nodiscard]] std::vector<KeyMessage> key_messages(const ApiKey& key);

}  // namespace oee::core
