#pragma once
// The secrets API keys are made of, and how the server recognises one
// without keeping it: SHA-256, compared in constant time.

#include <optional>
#include <string>
#include <string_view>

#include "core/domain/api_key.h"

namespace oee::api {

struct NewSecret {
  std::string text;  // shown once, to whoever created the key
  core::KeyHash hash;
};

/// "oee_" and 64 hex digits: 32 bytes from the system's CSPRNG.
[[nodiscard]] NewSecret new_key_secret();
[[nodiscard]] core::KeyHash hash_secret(std::string_view secret);
/// Constant time, so a comparison's duration says nothing of where the
/// hashes differ.
[[nodiscard]] bool same_hash(const core::KeyHash& a, const core::KeyHash& b);
/// Why an admin key is too weak to guard a money path (shorter than 32
/// bytes, or too few distinct characters to hold 32 bytes of entropy), or
/// nullopt if it is not.
[[nodiscard]] std::optional<std::string> admin_key_weakness(std::string_view key);

}  // namespace oee::api
