#include "api/auth/key_secret.h"

#include <array>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace oee::api {

NewSecret new_key_secret() {
  core::KeyHash bytes{};  // as many random bytes as a hash has
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("the system's random number generator failed");
  }
  std::string text = "oee_" + core::to_hex(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return NewSecret{text, hash_secret(text)};
}

core::KeyHash hash_secret(std::string_view secret) {
  core::KeyHash h{};
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), h.data());
  return h;
}

bool same_hash(const core::KeyHash& a, const core::KeyHash& b) { return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0; }

std::optional<std::string> admin_key_weakness(std::string_view key) {
  constexpr std::size_t kMinBytes = 32;
  if (key.size() < kMinBytes) {
    return fmt::format("the admin key is {} bytes; it needs at least {} (openssl rand -hex 32 makes one)", key.size(),
                       kMinBytes);
  }
  // Shannon's estimate over the key's own characters: a key of one repeated
  // pattern, or a word padded out, scores far below a random one. 64 random
  // hex digits score about 250 bits; the floor is half of 32 bytes' worth.
  std::array<std::size_t, 256> count{};
  for (const char c : key) ++count[static_cast<unsigned char>(c)];
  double bits = 0;
  for (const std::size_t n : count) {
    if (n == 0) continue;
    const double p = static_cast<double>(n) / static_cast<double>(key.size());
    bits -= static_cast<double>(n) * std::log2(p);
  }
  if (bits < 128) {
    return fmt::format("the admin key looks guessable (about {:.0f} bits of entropy, at least 128 wanted); make one "
                       "with openssl rand -hex 32",
                       bits);
  }
  return std::nullopt;
}

}  // namespace oee::api
