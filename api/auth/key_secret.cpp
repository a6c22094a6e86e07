#include "api/auth/key_secret.h"

#include <algorithm>
#include <array>
#include <cctype>
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

namespace {

constexpr std::string_view kMakeOne = "make one with openssl rand -hex 32";

bool is_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)); });
}

// Standard or URL-safe base64, padded or not: how many bytes it holds, or
// nullopt if it is not base64.
std::optional<std::size_t> base64_bytes(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  const bool alphabet = std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '-' || c == '_';
  });
  if (!alphabet || text.size() % 4 == 1) return std::nullopt;
  return text.size() * 6 / 8;
}

// The longest stretch in which each character steps from the one before by
// the same amount, -1, 0 or +1: "aaaaaaaa", "01234567", "hgfedcba"; in hex
// by digit value, so "cba98765" is one too.
std::size_t longest_run(std::string_view text, bool hex) {
  const auto code = [hex](char c) {
    const int lower = std::tolower(static_cast<unsigned char>(c));
    return hex && lower >= 'a' ? lower - 'a' + 10 : (hex ? lower - '0' : lower);
  };
  std::size_t longest = std::min<std::size_t>(text.size(), 1), length = 1;
  int step = 2;  // none yet
  for (std::size_t i = 1; i < text.size(); ++i) {
    const int d = code(text[i]) - code(text[i - 1]);
    const bool small = d >= -1 && d <= 1;
    length = small && (d == step || length == 1) ? length + 1 : (small ? 2 : 1);
    step = d;
    longest = std::max(longest, length);
  }
  return longest;
}

// The shortest unit the text repeats ("abcabcab": 3), or its length.
std::size_t repeating_period(std::string_view text) {
  for (std::size_t period = 1; period <= text.size() / 2; ++period) {
    if (text.substr(period) == text.substr(0, text.size() - period)) return period;
  }
  return text.size();
}

}  // namespace

std::optional<std::string> admin_key_weakness(std::string_view key) {
  constexpr std::size_t kBytes = 32;
  std::string_view body = key;
  if (body.starts_with("oee_")) body.remove_prefix(4);  // a key as oee mints them
  const bool hex = is_hex(body);
  const auto b64 = hex ? std::nullopt : base64_bytes(body);
  if (hex ? body.size() < 2 * kBytes : b64.value_or(0) < kBytes) {
    return fmt::format("the admin key must be {} random bytes written as {} hex digits or in base64 ({} characters); "
                       "this one is {} characters{}; {}",
                       kBytes, 2 * kBytes, (kBytes * 8 + 5) / 6, key.size(),
                       hex || b64 ? "" : " and neither hex nor base64", kMakeOne);
  }
  // Random text has no long runs or repeats and uses most of its alphabet;
  // the bounds are far from what random keys reach (docs/security.md).
  constexpr std::size_t kLongestRun = 7;
  // Hex ignores case, base64 does not.
  std::array<bool, 256> seen{};
  for (const char c : body) {
    const auto u = static_cast<unsigned char>(c);
    seen[hex ? static_cast<unsigned char>(std::tolower(u)) : u] = true;
  }
  const auto distinct = static_cast<std::size_t>(std::count(seen.begin(), seen.end(), true));
  const std::size_t min_distinct = hex ? 10 : 18;
  if (const std::size_t run = longest_run(body, hex); run > kLongestRun) {
    return fmt::format("the admin key looks guessable: it holds a run of {} characters in a row; {}", run, kMakeOne);
  }
  if (const std::size_t period = repeating_period(body); period < body.size()) {
    return fmt::format("the admin key looks guessable: it repeats every {} characters; {}", period, kMakeOne);
  }
  if (distinct < min_distinct) {
    return fmt::format("the admin key looks guessable: it uses only {} different characters (random ones use {} or "
                       "more); {}",
                       distinct, min_distinct, kMakeOne);
  }
  return std::nullopt;
}

}  // namespace oee::api
