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
/// Why an admin key is too weak to guard a money path, or nullopt if it is
/// not. It must be 32 random bytes: 64 hex digits (as `openssl rand -hex
/// 32` writes them, or a key oee minted) or base64 of 32 bytes or more, with
/// no long run ("aaaa…", "0123…"), no repeated unit, and most of its
/// alphabet used.
[[nodiscard]] std::optional<std::string> admin_key_weakness(std::string_view key);

}  // namespace oee::api
