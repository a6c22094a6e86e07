// The API key body (POST /api/keys) and RFC 3339 times: anything may come
// back as an error; nothing may crash, and an accepted key has a name, a
// scope and, if it expires, an expiry after "now".

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/http/strict_json.h"
#include "api/routes/key_request.h"
#include "api/routes/time_text.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)oee::api::parse_time(text);  // any text: an answer or none, never a crash
  const auto body = oee::api::parse_json_strict(text);
  if (!body) return 0;
  const oee::TimestampNs now{1'800'000'000'000'000'000};
  const auto key = oee::api::parse_key_request(*body, now);
  if (!key) return 0;
  if (key->name.empty() || key->scopes.empty()) __builtin_trap();
  if (key->expires_at && *key->expires_at <= now) __builtin_trap();
  return 0;
}
