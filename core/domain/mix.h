#pragma once
// Deterministic 64-bit mixing for the simulations (pool drift, tx ids, drop
// decisions): splitmix64's finaliser. Not a cryptographic hash.

#include <cstdint>
#include <string_view>

namespace oee::core {

[[nodiscard]] constexpr std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

[[nodiscard]] constexpr std::uint64_t hash_bytes(std::string_view s, std::uint64_t h) {
  for (char c : s) h = mix(h ^ static_cast<unsigned char>(c));
  return h;
}

}  // namespace oee::core
